package dev.maws.label;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.maws.label.sense.SenseChooser;
import dev.maws.label.wordnet.WordNetIndex;
import io.quarkus.runtime.Startup;

/** WordNet is loaded once, at start-up (a few seconds), before the service reports ready. */
@ApplicationScoped
public class LabelerProducer {
    private static final Logger LOG = Logger.getLogger(LabelerProducer.class);

    @Produces
    @Singleton
    @Startup
    WordNetIndex wordNet() {
        long t0 = System.nanoTime();
        WordNetIndex index = WordNetIndex.load();
        LOG.infof("%s loaded in %d ms", index, (System.nanoTime() - t0) / 1_000_000);
        return index;
    }

    @Produces
    @Singleton
    Labeler labeler(WordNetIndex wordNet, LabelConfig config) {
        SenseChooser senses = new SenseChooser(wordNet, config.allowRoots(), config.denyRoots().orElse(List.of()));
        return new Labeler(wordNet, senses, config.maxTagLength(), config.tagCacheSize(), config.maxHashtagsPerCaption());
    }
}
