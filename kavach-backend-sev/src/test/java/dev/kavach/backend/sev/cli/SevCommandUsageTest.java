package dev.kavach.backend.sev.cli;

import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code kavach sev --help}: every subcommand the merged branches added is listed, and an unknown one points at the list. */
class SevCommandUsageTest {
    @Test
    void theUsageListsEverySubcommand(@TempDir Path dir) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        BackendContext context = new BackendContext("sev", BackendSettings.of("kavach.backends.sev", Map.of()), dir, "0.1.0");
        int code = new SevCommand().run(List.of("--help"), context, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String usage = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        for (String command : List.of("build-image", "dry-run", "measure", "fetch-kernel", "fetch-certs", "policy")) {
            assertThat(usage).as(command).containsPattern("(?m)^  " + command + "( |$)");
        }

        ByteArrayOutputStream unknownErr = new ByteArrayOutputStream();
        int unknown = new SevCommand().run(List.of("no-such"), context, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(unknownErr, true, StandardCharsets.UTF_8));
        assertThat(unknown).isNotZero();
        assertThat(unknownErr.toString(StandardCharsets.UTF_8)).contains("unknown command 'no-such'").contains("fetch-certs");
    }
}
