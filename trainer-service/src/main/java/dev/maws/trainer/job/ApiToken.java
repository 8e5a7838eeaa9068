package dev.maws.trainer.job;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import jakarta.inject.Singleton;

import dev.maws.trainer.TrainerConfig;

/**
 * The bearer token that mutating calls need ({@code maws.trainer.api-token}). Compared in constant
 * time; neither the configured nor a presented token is ever logged or echoed.
 */
@Singleton
public class ApiToken {
    private final byte[] expected;

    ApiToken(TrainerConfig config) {
        if (config.apiToken().isBlank()) {
            throw new IllegalStateException("maws.trainer.api-token is empty: set MAWS_TRAINER_API_TOKEN");
        }
        this.expected = config.apiToken().getBytes(StandardCharsets.UTF_8);
    }

    /** @throws SecurityException when the Authorization value is not "Bearer {token}" with the right token */
    public void check(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new SecurityException("this call needs an \"authorization: Bearer <token>\" header (maws.trainer.api-token)");
        }
        byte[] presented = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(expected, presented)) {
            throw new SecurityException("the bearer token is not valid");
        }
    }
}
