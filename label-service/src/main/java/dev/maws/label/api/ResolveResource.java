package dev.maws.label.api;

import java.util.List;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;

import dev.maws.label.Labeler;
import dev.maws.label.vocab.VocabularyCatalog;
import dev.maws.platform.vocabulary.Vocabulary;
import io.smallrye.common.annotation.Blocking;

/** REST: {@code POST /v1/resolve} {"terms": ["T-shirt/top", …]} -> synsets per term, in input order. */
@Path("/v1/resolve")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class ResolveResource {
    /** {@code vocabularyVersion}: when set, only synsets of that frozen vocabulary count. */
    public record ResolveRequest(List<String> terms, String vocabularyVersion) {}

    public record ResolveResponse(List<Labeler.Resolution> terms) {}

    private final Labeler labeler;
    private final CaptionLimits limits;
    private final VocabularyCatalog vocabularies;

    ResolveResource(Labeler labeler, CaptionLimits limits, VocabularyCatalog vocabularies) {
        this.labeler = labeler;
        this.limits = limits;
        this.vocabularies = vocabularies;
    }

    @POST
    @Blocking
    @Operation(summary = "Resolve class names", description = "Visual WordNet synsets of each class name, best first")
    public ResolveResponse resolve(ResolveRequest request) {
        List<String> terms = request == null ? null : request.terms();
        limits.checkTerms(terms);
        String version = request.vocabularyVersion();
        if (version == null || version.isEmpty()) {
            return new ResolveResponse(terms.stream().map(labeler::resolve).toList());
        }
        Vocabulary within = vocabularies.get(version);
        return new ResolveResponse(terms.stream().map(t -> vocabularies.restrict(labeler.resolve(t), within)).toList());
    }
}
