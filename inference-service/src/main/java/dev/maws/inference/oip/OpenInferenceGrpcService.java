package dev.maws.inference.oip;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.ByteString;

import dev.maws.inference.api.InferenceGrpcService;
import dev.maws.platform.checkpoint.CheckpointCatalog;
import dev.maws.proto.oip.InferTensorContents;
import dev.maws.proto.oip.ModelInferRequest;
import dev.maws.proto.oip.ModelInferResponse;
import dev.maws.proto.oip.ModelMetadataRequest;
import dev.maws.proto.oip.ModelMetadataResponse;
import dev.maws.proto.oip.ModelReadyRequest;
import dev.maws.proto.oip.ModelReadyResponse;
import dev.maws.proto.oip.MutinyGRPCInferenceServiceGrpc;
import dev.maws.proto.oip.ServerLiveRequest;
import dev.maws.proto.oip.ServerLiveResponse;
import dev.maws.proto.oip.ServerMetadataRequest;
import dev.maws.proto.oip.ServerMetadataResponse;
import dev.maws.proto.oip.ServerReadyRequest;
import dev.maws.proto.oip.ServerReadyResponse;
import dev.maws.proto.v1.Image;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * The Open Inference Protocol v2 over gRPC ({@code inference.GRPCInferenceService}), on the same port
 * as everything else. Inputs come as typed contents or as {@code raw_input_contents} (little-endian
 * FP32; BYTES elements each prefixed by a 4-byte little-endian length); outputs go as
 * {@code raw_output_contents}, as Triton sends them. Errors as {@code InferenceService}'s.
 */
@GrpcService
public class OpenInferenceGrpcService extends MutinyGRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
    private final OpenInference oip;

    OpenInferenceGrpcService(OpenInference oip) {
        this.oip = oip;
    }

    @Override
    public Uni<ServerLiveResponse> serverLive(ServerLiveRequest request) {
        return Uni.createFrom().item(ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    @Blocking
    public Uni<ServerReadyResponse> serverReady(ServerReadyRequest request) {
        return Uni.createFrom().item(ServerReadyResponse.newBuilder().setReady(oip.ready()).build());
    }

    @Override
    public Uni<ServerMetadataResponse> serverMetadata(ServerMetadataRequest request) {
        return Uni.createFrom().item(ServerMetadataResponse.newBuilder().setName(OpenInference.SERVER).setVersion("v1")
                .build());
    }

    @Override
    @Blocking
    public Uni<ModelReadyResponse> modelReady(ModelReadyRequest request) {
        return InferenceGrpcService.call(() -> {
            try {
                return ModelReadyResponse.newBuilder().setReady(oip.modelReady(request.getName(), request.getVersion()))
                        .build();
            } catch (CheckpointCatalog.NoSuchCheckpointException e) {
                return ModelReadyResponse.newBuilder().setReady(false).build();
            }
        });
    }

    @Override
    @Blocking
    public Uni<ModelMetadataResponse> modelMetadata(ModelMetadataRequest request) {
        return InferenceGrpcService.call(() -> {
            OpenInference.Metadata m = oip.metadata(request.getName(), request.getVersion());
            ModelMetadataResponse.Builder out = ModelMetadataResponse.newBuilder().setName(m.name())
                    .addAllVersions(m.versions()).setPlatform(m.platform());
            m.inputs().forEach(t -> out.addInputs(meta(t)));
            m.outputs().forEach(t -> out.addOutputs(meta(t)));
            return out.build();
        });
    }

    @Override
    @Blocking
    public Uni<ModelInferResponse> modelInfer(ModelInferRequest request) {
        return InferenceGrpcService.call(() -> {
            OpenInference.require(request.getInputsCount() == 1,
                    "inputs must hold exactly one tensor: \"image\" (BYTES) or \"pixels\" (FP32)");
            OpenInference.require(request.getRawInputContentsCount() <= 1,
                    "raw_input_contents must have one entry per input (1), got " + request.getRawInputContentsCount());
            ModelInferRequest.InferInputTensor in = request.getInputs(0);
            ByteString raw = request.getRawInputContentsCount() == 1 ? request.getRawInputContents(0) : null;
            OpenInference.require(raw == null || !in.hasContents(), "input " + in.getName()
                    + " has both contents and raw_input_contents; send one");
            OpenInference.Input input = switch (in.getName()) {
                case "image" -> images(in, raw);
                case "pixels" -> pixels(in, raw);
                default -> throw new IllegalArgumentException(OpenInference.unknownInput(in.getName()));
            };
            List<String> wanted = request.getOutputsList().stream()
                    .map(ModelInferRequest.InferRequestedOutputTensor::getName).toList();
            OpenInference.Result result = oip.infer(request.getModelName(), request.getModelVersion(), input, wanted);
            ModelInferResponse.Builder out = ModelInferResponse.newBuilder().setModelName(request.getModelName())
                    .setModelVersion(result.version()).setId(request.getId());
            for (OpenInference.Output o : result.outputs()) {
                ModelInferResponse.InferOutputTensor.Builder t = ModelInferResponse.InferOutputTensor.newBuilder()
                        .setName(o.name()).setDatatype("FP32");
                for (long d : o.shape()) {
                    t.addShape(d);
                }
                out.addOutputs(t);
                out.addRawOutputContents(littleEndian(o.rows()));
            }
            return out.build();
        });
    }

    private static OpenInference.Input images(ModelInferRequest.InferInputTensor in, ByteString raw) {
        OpenInference.require(in.getDatatype().equals("BYTES"), "input image must be BYTES (PNG/JPEG/WebP), not " + in.getDatatype());
        List<Image> images = new ArrayList<>();
        if (raw == null) {
            in.getContents().getBytesContentsList().forEach(b -> images.add(Image.newBuilder().setData(b).build()));
        } else {
            ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                OpenInference.require(b.remaining() >= 4, "raw image contents end inside a length prefix");
                int length = b.getInt();
                OpenInference.require(length >= 0 && length <= b.remaining(), "raw image element " + images.size()
                        + " claims " + length + " bytes, " + b.remaining() + " are left");
                images.add(Image.newBuilder().setData(raw.substring(b.position(), b.position() + length)).build());
                b.position(b.position() + length);
            }
        }
        return OpenInference.images(in.getShapeList(), images);
    }

    private static OpenInference.Input pixels(ModelInferRequest.InferInputTensor in, ByteString raw) {
        OpenInference.require(in.getDatatype().equals("FP32"), "input pixels must be FP32, not " + in.getDatatype());
        float[] values;
        if (raw == null) {
            InferTensorContents c = in.getContents();
            values = new float[c.getFp32ContentsCount()];
            for (int i = 0; i < values.length; i++) {
                values[i] = c.getFp32Contents(i);
            }
        } else {
            OpenInference.require(raw.size() % 4 == 0, "raw FP32 contents must be a multiple of 4 bytes, got " + raw.size());
            values = new float[raw.size() / 4];
            raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        }
        return OpenInference.pixels(in.getShapeList(), values);
    }

    private static ByteString littleEndian(float[][] rows) {
        int d = rows.length == 0 ? 0 : rows[0].length;
        ByteBuffer b = ByteBuffer.allocate(rows.length * d * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] r : rows) {
            for (float v : r) {
                b.putFloat(v);
            }
        }
        b.flip();
        return ByteString.copyFrom(b);
    }

    private static ModelMetadataResponse.TensorMetadata meta(OpenInference.TensorMeta t) {
        return ModelMetadataResponse.TensorMetadata.newBuilder().setName(t.name()).setDatatype(t.datatype())
                .addAllShape(t.shape()).build();
    }
}
