package dev.kavach.backend.kubernetes;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.util.Optional;

/**
 * Reads the exit status from an exec stream's status channel: {@code Success} is 0, a {@code NonZeroExitCode}
 * failure carries the code as its {@code ExitCode} cause. Anything else (the runtime could not start the
 * program, or no status arrived) has none.
 */
final class ExecStatus {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private ExecStatus() {
    }

    static Optional<Integer> exitCode(String statusJson) {
        if (statusJson == null || statusJson.isBlank()) {
            return Optional.empty();
        }
        Status status;
        try {
            status = JSON.unmarshal(statusJson, Status.class);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        if ("Success".equals(status.getStatus())) {
            return Optional.of(0);
        }
        if (status.getDetails() == null || status.getDetails().getCauses() == null) {
            return Optional.empty();
        }
        return status.getDetails().getCauses().stream().filter(c -> "ExitCode".equals(c.getReason())).map(StatusCause::getMessage)
                .flatMap(m -> {
                    try {
                        return java.util.stream.Stream.of(Integer.parseInt(m.trim()));
                    } catch (NumberFormatException | NullPointerException e) {
                        return java.util.stream.Stream.empty();
                    }
                }).findFirst();
    }
}
