package dev.kavach.core.noop;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendInfo;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.IsolationKind;
import dev.kavach.api.ProbeCheck;
import dev.kavach.api.SandboxBackend;

import java.nio.charset.StandardCharsets;

/**
 * The {@code noop} backend: runs nothing and returns a configured result. For tests, and for measuring
 * the framework's own cost. Strength 0, so {@code kavach.backend = auto} never picks it.
 *
 * <p>Settings: {@code kavach.backends.noop.exit-code} (default 0), {@code stdout} and {@code stderr}
 * (default empty): what every exec returns.
 */
public final class NoopBackendProvider implements BackendProvider {
    public static final String ID = "noop";

    private static final BackendInfo INFO = new BackendInfo(ID, "No-op", IsolationKind.NONE, 0,
            "Runs nothing and returns the configured exit code and output; for tests and framework measurements.");

    @Override
    public BackendInfo info() {
        return INFO;
    }

    @Override
    public Availability probe(BackendContext context) {
        create(context); // checks the settings, so that `kavach backends` shows a bad one; holds nothing to release
        return Availability.of(ProbeCheck.ok("noop", "always available: runs nothing"));
    }

    @Override
    public SandboxBackend create(BackendContext context) {
        var settings = context.settings();
        int exitCode = settings.integer("exit-code", 0);
        if (exitCode < 0 || exitCode > 255) {
            throw settings.invalid("exit-code", settings.string("exit-code", ""), "an exit code from 0 to 255");
        }
        return new NoopBackend(exitCode,
                settings.string("stdout", "").getBytes(StandardCharsets.UTF_8),
                settings.string("stderr", "").getBytes(StandardCharsets.UTF_8));
    }
}
