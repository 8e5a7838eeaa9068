package dev.maws.platform.lifecycle;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;

/**
 * Stops the service when the process that started it is gone ({@code maws.parent-pid}, set by
 * {@code ./maws} and the local pipeline): a launcher killed with SIGKILL or by the OOM killer runs
 * no cleanup, and its services would otherwise go on holding memory and ports. Unset (Kubernetes,
 * a service started by hand), nothing is watched.
 */
@ApplicationScoped
public class ParentWatch {
    private static final Logger LOG = Logger.getLogger(ParentWatch.class);

    void watch(@Observes StartupEvent event, @ConfigProperty(name = "maws.parent-pid") Optional<Long> parentPid) {
        if (parentPid.isEmpty()) {
            return;
        }
        long pid = parentPid.get();
        Optional<ProcessHandle> parent = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (parent.isEmpty()) {
            LOG.errorf("maws.parent-pid=%d: no such process; the launcher is gone, stopping", pid);
            Quarkus.asyncExit(1);
            return;
        }
        parent.get().onExit().thenRun(() -> {
            LOG.warnf("the process that started this service (pid %d) exited; stopping", pid);
            Quarkus.asyncExit(0);
        });
        LOG.infof("stops when process %d exits (maws.parent-pid)", pid);
    }
}
