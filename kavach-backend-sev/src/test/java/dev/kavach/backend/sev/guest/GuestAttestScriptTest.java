package dev.kavach.backend.sev.guest;

import dev.kavach.backend.sev.VmPrerequisites;
import dev.kavach.api.Command;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.attestation.snp.ResultBinding;
import dev.kavach.attestation.snp.ResultStatement;
import dev.kavach.attestation.snp.TaskBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guest's attestation step ({@code guest/attest}) run with the guest's own busybox applets on this host:
 * what it forwards, hashes, counts and writes must be exactly what the host recomputes ({@link ResultBinding}),
 * byte for byte, so an honest guest is never rejected and the documented format is the one the guest writes.
 */
class GuestAttestScriptTest {
    private static final ExecRequest REQUEST = new ExecRequest(new Command.Argv(List.of("printf", "%s\\n", "a b", "", "new\nline", "ü")),
            "stdin \0 bytes".getBytes(StandardCharsets.UTF_8), Map.of("B", "2", "A", "1 2", "Ä", "umlaut", "Z", "$(id)"), "/w,x",
            SandboxPolicy.basic().withOutputLimitBytes(100), Duration.ofSeconds(5));

    @Test
    void theGuestsStatementIsExactlyWhatTheHostRecomputes(@TempDir Path dir) throws Exception {
        byte[] nonce = TaskBinding.newNonce();
        Path task = unpack(dir, TaskArchive.encode(REQUEST, nonce));
        byte[] produced = new byte[250];
        new Random(7).nextBytes(produced);

        byte[] forwarded = capture(task, "stdout", 100, produced);
        byte[] forwardedErr = capture(task, "stderr", 100, "warning\n".getBytes(StandardCharsets.UTF_8));
        assertThat(forwarded).as("the guest forwards the first output-limit bytes").isEqualTo(java.util.Arrays.copyOf(produced, 100));
        assertThat(forwardedErr).isEqualTo("warning\n".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.readString(task.resolve("stdout.dropped")).trim()).isEqualTo("150");

        String statement = new String(attest(task, "statement", "3"), StandardCharsets.UTF_8);
        ResultStatement expected = ResultBinding.expected(nonce, REQUEST, forwarded, forwardedErr, 150, 0, 3);
        assertThat(statement).isEqualTo(expected.text());
        // ... and the host accepts it: every part matches.
        ResultBinding.check(ResultStatement.parse(statement), nonce, REQUEST, forwarded, forwardedErr, 150, 0, 3);
    }

    @Test
    void reportDataIsTheRawSha512OfTheStatementForAnyDigestBytes(@TempDir Path dir) throws Exception {
        Path task = unpack(dir, TaskArchive.encode(REQUEST, TaskBinding.newNonce()));
        capture(task, "stdout", 100, new byte[0]);
        capture(task, "stderr", 100, new byte[0]);
        // 32 statements give REPORT_DATA with NUL, '%', '\\' and high bytes: busybox printf must write each byte as is.
        for (int exit = 0; exit < 32; exit++) {
            Files.write(task.resolve("statement"), attest(task, "statement", Integer.toString(exit)));
            ResultStatement statement = ResultStatement.parse(Files.readString(task.resolve("statement")));
            assertThat(attest(task, "report-data")).as("exit " + exit).isEqualTo(statement.reportData());
        }
    }

    @Test
    void withoutAnOutputLimitEverythingIsForwardedAndNothingDropped(@TempDir Path dir) throws Exception {
        Path task = unpack(dir, TaskArchive.encode(REQUEST.withPolicy(SandboxPolicy.basic().withOutputLimitBytes(0)), TaskBinding.newNonce()));
        byte[] produced = new byte[200_000];
        new Random(3).nextBytes(produced);
        assertThat(capture(task, "stdout", 0, produced)).isEqualTo(produced);
        assertThat(Files.readString(task.resolve("stdout.dropped")).trim()).isEqualTo("0");
    }

    @Test
    void theReportRequestFailsClosedWithoutConfigfsTsm(@TempDir Path dir) throws Exception {
        Path task = unpack(dir, TaskArchive.encode(REQUEST, TaskBinding.newNonce()));
        capture(task, "stdout", 100, new byte[0]);
        capture(task, "stderr", 100, new byte[0]);
        Files.write(task.resolve("statement"), attest(task, "statement", "0"));
        VmPrerequisites.require(!Files.isDirectory(Path.of("/sys/kernel/config/tsm/report")), "a host without configfs-tsm for this negative test");
        Result result = runAttest(task, new byte[0], "report");
        assertThat(result.status()).isNotZero();
        assertThat(result.stderr()).contains("no configfs-tsm report interface").contains("CONFIG_TSM_REPORTS");
        assertThat(task.resolve("report")).doesNotExist();
    }

    /** Unpacks a task archive with busybox cpio, as the guest does. */
    static Path unpack(Path dir, byte[] archive) throws Exception {
        Path task = Files.createDirectories(dir.resolve("task"));
        GuestImageTest.run(List.of(VmPrerequisites.busybox().toString(), "cpio", "-i", "-d"), archive, task);
        return task;
    }

    /** Runs {@code attest capture}: returns what it forwarded. */
    static byte[] capture(Path task, String name, long limit, byte[] produced) throws Exception {
        Result result = runAttest(task, produced, "capture", name, Long.toString(limit));
        assertThat(result.status()).as(result.stderr()).isZero();
        return result.stdout();
    }

    /** Runs the guest's attest script with busybox's applets only; fails the test if it fails. */
    static byte[] attest(Path task, String... args) throws Exception {
        Result result = runAttest(task, new byte[0], args);
        assertThat(result.status()).as("attest " + String.join(" ", args) + ": " + result.stderr()).isZero();
        return result.stdout();
    }

    record Result(int status, byte[] stdout, String stderr) {
    }

    static Result runAttest(Path task, byte[] stdin, String... args) throws Exception {
        Path busybox = VmPrerequisites.busybox();
        Path helper = Files.createDirectories(task.resolve(".attest-test"));
        // Debian's busybox-static prefers its own applets, so an empty PATH means: the guest's tools, nothing of the host's.
        Path tools = Files.createDirectories(helper.resolve("empty-path"));
        Path script = helper.resolve("attest");
        Files.write(script, GuestImageBuilder.resource("attest"));
        List<String> argv = new ArrayList<>(List.of(busybox.toString(), "sh", script.toString()));
        argv.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(argv).directory(task.toFile());
        builder.environment().clear();
        builder.environment().putAll(Map.of("PATH", tools.toString(), "KAVACH_TASK_DIR", task.toString()));
        Process process = builder.start();
        Thread feeder = Thread.ofPlatform().start(() -> {
            try (var in = process.getOutputStream()) {
                in.write(stdin);
            } catch (java.io.IOException e) {
                // the script stopped reading: its status says why
            }
        });
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errReader = Thread.ofPlatform().start(() -> {
            try {
                process.getErrorStream().transferTo(err);
            } catch (java.io.IOException e) {
                // closed
            }
        });
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        feeder.join();
        errReader.join();
        return new Result(process.exitValue(), out, err.toString(StandardCharsets.UTF_8));
    }
}
