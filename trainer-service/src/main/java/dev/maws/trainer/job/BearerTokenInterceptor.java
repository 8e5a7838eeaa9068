package dev.maws.trainer.job;

import java.util.Set;

import jakarta.inject.Singleton;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/** Refuses StartJob, CancelJob and ResumeJob without the bearer token (UNAUTHENTICATED). */
@Singleton
public class BearerTokenInterceptor implements ServerInterceptor {
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> MUTATING = Set.of("maws.v1.TrainerService/StartJob", "maws.v1.TrainerService/CancelJob",
            "maws.v1.TrainerService/ResumeJob");

    private final ApiToken token;

    BearerTokenInterceptor(ApiToken token) {
        this.token = token;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (MUTATING.contains(call.getMethodDescriptor().getFullMethodName())) {
            try {
                token.check(headers.get(AUTHORIZATION));
            } catch (SecurityException e) {
                call.close(Status.UNAUTHENTICATED.withDescription(e.getMessage()), new Metadata());
                return new ServerCall.Listener<>() {};
            }
        }
        return next.startCall(call, headers);
    }
}
