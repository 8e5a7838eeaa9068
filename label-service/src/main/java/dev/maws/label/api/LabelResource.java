package dev.maws.label.api;

import java.util.List;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;

import dev.maws.label.Labeler;
import io.smallrye.common.annotation.Blocking;

/** REST: {@code POST /v1/label} {"captions": [...]} -> {"results": [...]} in input order. */
@Path("/v1/label")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class LabelResource {
    public record LabelRequest(List<String> captions) {}

    public record LabelResponse(List<Labeler.Result> results) {}

    private final Labeler labeler;
    private final CaptionLimits limits;

    LabelResource(Labeler labeler, CaptionLimits limits) {
        this.labeler = labeler;
        this.limits = limits;
    }

    @POST
    @Blocking
    @Operation(summary = "Label captions", description = "Hashtags and WordNet noun synsets of each caption, in input order")
    public LabelResponse label(LabelRequest request) {
        List<String> captions = request == null ? null : request.captions();
        limits.checkBatch(captions);
        List<Labeler.Result> results = new java.util.ArrayList<>(captions.size());
        for (int i = 0; i < captions.size(); i++) {
            try {
                results.add(labeler.label(captions.get(i)));
            } catch (IllegalArgumentException e) { // a limit only labelling finds (distinct hashtags): say which caption
                throw new IllegalArgumentException("captions[" + i + "]: " + e.getMessage(), e);
            }
        }
        return new LabelResponse(results);
    }
}
