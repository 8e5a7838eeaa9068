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
        return Response.status(Response.Status.BAD_REQUEST).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", message(e))).build();
    }

    @ServerExceptionMapper
    public Response unknownVocabulary(VocabularyCatalog.NoSuchVocabularyException e) {
        return Response.status(Response.Status.NOT_FOUND).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", message(e))).build();
    }

    @ServerExceptionMapper
    public Response nothingToFreeze(VocabularyFreezer.NothingToFreezeException e) {
        return Response.status(Response.Status.CONFLICT).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", message(e))).build();
    }

    @ServerExceptionMapper
    public Response freezeRunning(VocabularyCatalog.FreezeRunningException e) {
        return Response.status(Response.Status.CONFLICT).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", message(e))).build();
    }

    /** Map.of refuses a null value: an exception without a message still gets a body (its class). */
    private static String message(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
