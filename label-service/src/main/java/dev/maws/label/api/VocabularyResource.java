package dev.maws.label.api;

import java.util.List;
import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;

import dev.maws.label.vocab.VocabularyCatalog;
import dev.maws.platform.vocabulary.Vocabulary;
import io.smallrye.common.annotation.Blocking;

/**
 * REST vocabularies, the same JSON as {@code vocab/{version}.json} (the proto3 JSON of
 * {@code maws.v1.Vocabulary}).
 */
@Path("/v1/vocabularies")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class VocabularyResource {
    /** Body of POST /v1/vocabularies; absent fields are 0. */
    public record FreezeRequest(Long minCount, Integer maxSize) {}

    private final VocabularyCatalog catalog;

    VocabularyResource(VocabularyCatalog catalog) {
        this.catalog = catalog;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Freeze a vocabulary from everything labelled so far",
            description = "{\"minCount\": 5, \"maxSize\": 1000}: synsets on at least minCount images, the maxSize most "
                    + "frequent (0 = no limit below maws.label.vocabulary.max-size). 201 with the vocabulary.")
    public Response freeze(FreezeRequest request) {
        FreezeRequest r = request == null ? new FreezeRequest(0L, 0) : request;
        Vocabulary v = catalog.freeze(r.minCount() == null ? 0 : r.minCount(), r.maxSize() == null ? 0 : r.maxSize());
        return Response.status(Response.Status.CREATED).entity(v).build();
    }

    @GET
    @Operation(summary = "Frozen vocabularies without their entries, newest first")
    public Map<String, List<Vocabulary>> list() {
        return Map.of("vocabularies", catalog.list());
    }

    @GET
    @Path("{version}")
    @Operation(summary = "One frozen vocabulary with its entries in head order")
    public Vocabulary get(@PathParam("version") String version) {
        return catalog.get(version);
    }
}
