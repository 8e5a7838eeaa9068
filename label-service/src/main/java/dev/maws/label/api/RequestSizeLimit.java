package dev.maws.label.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * A REST request whose Content-Length is over {@code quarkus.http.limits.max-body-size} gets a 400
 * naming that limit, as every other limit of this service does, before its body is read (the HTTP
 * layer alone answers 413 with no body). A body sent without a length (chunked) that grows past the
 * limit still gets the HTTP layer's 413.
 */
@ApplicationScoped
public class RequestSizeLimit {
    private final long maxBytes;
    private final String limit;

    RequestSizeLimit(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") String written) {
        this.maxBytes = maxBodySize.asLongValue();
        this.limit = written;
    }

    void install(@Observes Router router) {
        router.route("/v1/*").order(Integer.MIN_VALUE).handler(this::check);
    }

    private void check(RoutingContext rc) {
        String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        long bytes;
        try {
            bytes = length == null ? -1 : Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            bytes = -1; // the HTTP layer refuses a malformed length itself
        }
        if (bytes <= maxBytes) {
            rc.next();
            return;
        }
        // the unread body is not drained: the connection closes once the answer is out (as the HTTP
        // layer's own 413 does), which is also what a client waiting on "Expect: 100-continue" needs
        rc.response().endHandler(ignored -> rc.request().connection().close());
        rc.response().setStatusCode(400).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(new JsonObject().put("error", "the request body has " + bytes + " bytes, more than"
                        + " quarkus.http.limits.max-body-size = " + limit + "; send fewer or shorter captions")
                        .encode());
    }
}
