package dev.kavach.backend.sev.cli;

import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.CommandExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every plugin command and subcommand has picocli's help ({@code --help}: usage on stdout, exit 0) and the CLI's
 * usage errors: an unknown option is one line naming it, then the hint to --help, with exit 2 and nothing on stdout.
 */
class PluginCommandHelpTest {
    @TempDir
    Path state;

    record Run(int exit, String out, String err) {
    }

    private Run run(String line) {
        List<String> words = new ArrayList<>(Arrays.asList(line.split(" ")));
        CommandExtension command = words.remove(0).equals("attest") ? new AttestCommand() : new SevCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        BackendContext context = new BackendContext("sev", BackendSettings.of("kavach.backends.sev", Map.of()), state, "0.1.0");
        int exit = command.run(words, context, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"attest", "attest verify", "attest show", "sev", "sev build-image", "sev dry-run", "sev fetch-kernel",
            "sev fetch-certs", "sev measure", "sev policy"})
    void helpIsTheUsageOnStdoutWithExit0(String command) {
        for (String help : List.of("--help", "-h")) {
            Run r = run(command + " " + help);
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).startsWith("Usage: kavach " + command + " ").contains("-h, --help");
            assertThat(r.err()).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"attest", "attest verify", "attest show", "sev", "sev build-image", "sev dry-run", "sev fetch-kernel",
            "sev fetch-certs", "sev measure", "sev policy"})
    void anUnknownOptionIsNamedWithAHintAndExit2(String command) {
        Run r = run(command + " --bogus");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        List<String> lines = r.err().lines().toList();
        assertThat(lines.get(0)).isEqualTo("kavach " + command + ": Unknown option: '--bogus'");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("Try 'kavach " + command + " --help' for usage.");
    }

    @ParameterizedTest
    @ValueSource(strings = {"attest frob", "sev frob"})
    void anUnknownSubcommandIsNamedWithTheKnownOnes(String line) {
        Run r = run(line);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("unknown command 'frob'; commands: ").contains(line.startsWith("attest") ? "verify, show" : "fetch-certs");
    }

    @ParameterizedTest
    @ValueSource(strings = {"attest", "sev"})
    void noSubcommandPrintsTheUsageOnStderrWithExit2(String command) {
        Run r = run(command);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("Usage: kavach " + command);
        assertThat(r.out()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"attest verify --json --bogus", "attest verify --json"})
    void aJsonRunAlsoReportsItsUsageErrorAsJsonOnStdout(String line) {
        Run r = run(line);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).contains("\"error\": ").contains("\"exit_code\": 2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"sev policy 0x30000 0x1", "sev dry-run --memory lots -- /bin/true", "sev fetch-kernel --series 5.10",
            "sev fetch-certs --vlek=yes"})
    void aBadValueOrStrayArgumentIsAUsageError(String line) {
        Run r = run(line);
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err().lines().findFirst().orElseThrow()).startsWith("kavach " + line.split(" ")[0] + " " + line.split(" ")[1] + ": ");
    }
}
