package dev.maws.label.api;

import java.util.Map;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.maws.label.vocab.VocabularyCatalog;
import dev.maws.label.vocab.VocabularyFreezer;

/**
 * Client errors of every resource: invalid input is a 400 whose body says what to fix; an unknown
 * vocabulary a 404; a freeze with nothing to freeze, or while another runs, a 409.
 */
public class BadRequestMapper {
    @ServerExceptionMapper
    public Response invalid(IllegalArgumentException e) {
        return error(Response.Status.BAD_REQUEST, e);
    }

    @ServerExceptionMapper
    public Response unknownVocabulary(VocabularyCatalog.NoSuchVocabularyException e) {
        return error(Response.Status.NOT_FOUND, e);
    }

    @ServerExceptionMapper
    public Response nothingToFreeze(VocabularyFreezer.NothingToFreezeException e) {
        return error(Response.Status.CONFLICT, e);
    }

    @ServerExceptionMapper
    public Response freezeRunning(VocabularyCatalog.FreezeRunningException e) {
        return error(Response.Status.CONFLICT, e);
    }

    /** {"error": what to fix}; Map.of refuses a null value: an exception without a message gets its class. */
    private static Response error(Response.Status status, Exception e) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", e.getMessage() != null ? e.getMessage() : e.toString())).build();
    }
}
