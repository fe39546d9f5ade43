package dev.kavach.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;

import com.typesafe.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.kavach.cli.Cli.assertContains;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kavach run} in-process through the built-in process backend: what a user sees and what scripts rely on. */
class RunCommandTest {
    @TempDir
    Path dir;

    private Cli cli() {
        return new Cli(dir);
    }

    /**
     * The temporary directory, opened up as a command's work directory: backends may run commands as an
     * unprivileged user (the process backend uses nobody), who must be able to enter it.
     */
    private Path sharedDir() throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    @Test
    void passesTheCommandsExitCodeThrough() {
        Cli.Result result = cli().run("run", "--backend", "process", "--", "/bin/sh", "-c", "exit 7");
        assertEquals(7, result.exitCode(), result::toString);
    }

    @Test
    void exitsZeroForASucceedingCommand() {
        Cli.Result result = cli().run("run", "--backend", "process", "--", "/bin/true");
        assertEquals(0, result.exitCode(), result::toString);
        assertEquals("", result.stdout());
    }

    @Test
    void keepsStdoutAndStderrApart() {
        Cli.Result result = cli().run("run", "--backend", "process", "--shell", "echo to-out; echo to-err >&2; exit 3");
        assertEquals(3, result.exitCode(), result::toString);
        assertEquals("to-out\n", result.stdout(), result::toString);
        assertContains(result.stderr(), "to-err\n");
        assertFalse(result.stderr().contains("to-out"), result::toString);
    }

    @Test
    void runsTheProgramWithItsOwnOptionsWithoutDashDash() {
        // Everything after the program name belongs to the program, as with env(1).
        Cli.Result result = cli().run("run", "--backend", "process", "/bin/echo", "-n", "--json", "x");
        assertEquals(0, result.exitCode(), result::toString);
        assertEquals("--json x", result.stdout(), result::toString);
    }

    @Test
    void streamsOutputWhileTheCommandStillRuns() throws Exception {
        // The command waits for a file that only the arrival of its first line creates: were output held
        // back until the command ended, it would wait until its timeout (124).
        Path marker = sharedDir().resolve("first-line-seen");
        Cli.Result result = cli().onOutput("first", () -> Files.createFile(marker))
                .run("run", "--backend", "process", "--timeout", "60s", "--workdir", dir.toString(),
                        "--shell", "echo first; while [ ! -e first-line-seen ]; do sleep 0.05; done; echo second");
        assertEquals(0, result.exitCode(), result::toString);
        assertEquals("first\nsecond\n", result.stdout());
    }

    @Test
    void exits124WhenTheCommandTimesOut() {
        Cli.Result result = cli().run("run", "--backend", "process", "--timeout", "1s", "--", "/bin/sleep", "60");
        assertEquals(124, result.exitCode(), result::toString);
        assertContains(result.stderr(), "timed out after 1s");
    }

    @Test
    void exits127ForAMissingCommand() {
        Cli.Result result = cli().run("run", "--backend", "process", "--", "/nonexistent/kavach-no-such-command");
        assertEquals(127, result.exitCode(), result::toString);
        assertContains(result.stderr(), "kavach: could not start the command");
    }

    @Test
    void exits126ForAFileThatIsNotExecutable() throws Exception {
        // In the work directory: the sandbox sees that, not the rest of the host's /tmp.
        Files.writeString(sharedDir().resolve("not-executable.sh"), "#!/bin/sh\necho hi\n");
        Cli.Result result = cli().run("run", "--backend", "process", "--workdir", dir.toString(), "--", "./not-executable.sh");
        assertEquals(126, result.exitCode(), result::toString);
    }

    @Test
    void exits125NamingAnUnknownBackend() {
        Cli.Result result = cli().run("run", "--backend", "no-such-backend", "--", "/bin/true");
        assertEquals(125, result.exitCode(), result::toString);
        assertTrue(result.stderr().startsWith("kavach: "), result::toString);
        assertContains(result.stderr(), "no-such-backend");
        assertEquals(1, result.stderr().lines().count(), () -> "one line: " + result);
        assertEquals("", result.stdout());
    }

    /** auto finding nothing is one line with the nearest backend's fix, plus one hint; kavach backends has the rest. */
    @Test
    void autoWithoutAnyBackendSaysSoInOneLineWithTheFix() {
        Cli.Result result = cli().run("run", "-D", "kavach.backends.process.bwrap=/nonexistent/bwrap", "--", "/bin/true");
        assertEquals(125, result.exitCode(), result::toString);
        List<String> lines = result.stderr().lines().toList();
        assertEquals(2, lines.size(), () -> "one line and one hint: " + result);
        assertTrue(lines.get(0).startsWith("kavach: no backend that isolates commands is available here; the nearest, process, lacks "),
                result::toString);
        assertContains(lines.get(0), "/nonexistent/bwrap");
        assertContains(lines.get(0), "(fix: ");
        assertEquals("kavach: 'kavach backends' lists what every backend lacks, each with its fix", lines.get(1));
        assertEquals("", result.stdout());
        Cli.Result json = cli().run("run", "--json", "-D", "kavach.backends.process.bwrap=/nonexistent/bwrap", "--", "/bin/true");
        assertEquals("NoBackendAvailableException", json.json().getString("error.type"), json::toString);
    }

    @Test
    void exits125WithEveryReasonForAnUnavailableBackend() {
        Config backends = cli().run("backends", "--json").json();
        List<? extends Config> unavailable = backends.getConfigList("backends").stream().filter(b -> !b.getBoolean("available")).toList();
        Prerequisites.require(!unavailable.isEmpty(),
                "a backend that is unavailable on this host (the sev backend, on the test path, is unavailable without /dev/sev)");
        Config backend = unavailable.get(0);
        Cli.Result result = cli().run("run", "--backend", backend.getString("id"), "--", "/bin/true");
        assertEquals(125, result.exitCode(), result::toString);
        assertTrue(result.stderr().startsWith("kavach: "), result::toString);
        assertContains(result.stderr(), "'" + backend.getString("id") + "' is unavailable");
        for (Config check : backend.getConfigList("checks")) {
            if (check.getBoolean("required") && !check.getBoolean("passed")) {
                assertContains(result.stderr(), check.getString("name"));
            }
        }
    }

    @Test
    void feedsStdinFromAFileAndFromItsOwnStdin() throws Exception {
        Path input = Files.writeString(dir.resolve("input.txt"), "from a file\n");
        Cli.Result fromFile = cli().run("run", "--backend", "process", "--stdin", input.toString(), "--", "/bin/cat");
        assertEquals("from a file\n", fromFile.stdout(), fromFile::toString);
        Cli.Result fromStdin = cli().stdin("piped\n").run("run", "--backend", "process", "--stdin", "-", "--", "/bin/cat");
        assertEquals("piped\n", fromStdin.stdout(), fromStdin::toString);
    }

    @Test
    void passesOnlyTheGivenEnvironment() {
        Cli.Result result = cli().env("KAVACH_TEST_HOST_ONLY", "leaked")
                .run("run", "--backend", "process", "--env", "GREETING=hello=world", "--shell", "echo \"$GREETING:${KAVACH_TEST_HOST_ONLY:-unset}\"");
        assertEquals("hello=world:unset\n", result.stdout(), result::toString);
    }

    @Test
    void runsInTheGivenWorkdir() throws Exception {
        Path work = Files.createDirectories(sharedDir().resolve("work dir"));
        Cli.Result result = cli().run("run", "--backend", "process", "--workdir", work.toString(), "--", "/bin/pwd");
        assertEquals(work.toRealPath() + "\n", result.stdout(), result::toString);
    }

    @Test
    void notesTruncatedOutputOnStderr() {
        Cli.Result result = cli().run("run", "--backend", "process", "-D", "kavach.policy.output-limit=1K",
                "--shell", "head -c 5000 /dev/zero | tr '\\0' x");
        assertEquals(0, result.exitCode(), result::toString);
        assertEquals("x".repeat(1024), result.stdout(), result::toString);
        assertContains(result.stderr(), "stdout was cut at the output limit: 1024 bytes kept, 3976 dropped");
    }

    @Test
    void printsTheWholeResultAsOneJsonObject() {
        Cli.Result result = cli().run("run", "--backend", "process", "--json", "--shell", "echo out; echo err >&2; exit 5");
        assertEquals(5, result.exitCode(), result::toString);
        assertEquals(1, result.stdout().lines().count(), () -> "one line of JSON and nothing else: " + result);
        Config json = result.json();
        assertEquals("process", json.getString("backend"));
        assertEquals(5, json.getInt("exit_code"));
        assertEquals("COMPLETED", json.getString("outcome"));
        assertTrue(json.getLong("duration_ms") >= 0);
        assertEquals("out\n", json.getString("stdout.text"));
        assertEquals("err\n", json.getString("stderr.text"));
        assertFalse(json.getBoolean("stdout.truncated"));
        assertEquals(0, json.getLong("stdout.dropped_bytes"));
        assertEquals(4, json.getLong("stdout.bytes"));
        assertFalse(json.hasPath("stdout.base64"), "valid UTF-8 needs no base64");
        assertTrue(json.hasPath("enforcement"));
        assertTrue(json.hasPathOrNull("attestation"));
        assertEquals("", result.stderr(), "--json streams nothing: the command's stderr is in the JSON");
    }

    @Test
    void jsonKeepsBytesThatAreNotUtf8AndReportsTimeouts() {
        Cli.Result binary = cli().run("run", "--backend", "process", "--json", "--shell", "printf '\\377\\376A'");
        assertArrayEquals(new byte[] {(byte) 0xff, (byte) 0xfe, 'A'},
                Base64.getDecoder().decode(binary.json().getString("stdout.base64")), binary::toString);
        Cli.Result timedOut = cli().run("run", "--backend", "process", "--json", "--timeout", "500ms", "--", "/bin/sleep", "30");
        assertEquals(124, timedOut.exitCode(), timedOut::toString);
        assertEquals("TIMED_OUT", timedOut.json().getString("outcome"));
    }

    @Test
    void dryRunPrintsTheHostCommandLineAndRunsNothing() {
        Path marker = dir.resolve("marker");
        Cli.Result result = cli().run("run", "--backend", "process", "--dry-run", "--", "/usr/bin/touch", marker.toString());
        assertEquals(0, result.exitCode(), result::toString);
        assertContains(result.stdout(), "/usr/bin/touch");
        assertContains(result.stdout(), ShellQuote.quote(marker.toString()));
        assertFalse(Files.exists(marker), "a dry run runs nothing");
    }

    @Test
    void dryRunOfTheSevBackendPrintsItsQemuCommandLineOnAHostWithoutSevSnp() throws IOException {
        String kernel = sevDryRunPrerequisites();
        Cli.Result result = cli().run("run", "--backend", "sev", "--dry-run", "--memory", "1G",
                "-D", "kavach.backends.sev.kernel=" + kernel, "-D", "kavach.backends.sev.cbitpos=51",
                "-D", "kavach.state-dir=" + dir.resolve("state"), "--env", "TOKEN=s3cret", "--", "echo", "a,b");
        assertEquals(0, result.exitCode(), result::toString);
        assertContains(result.stdout(), "qemu-system-x86_64");
        assertContains(result.stdout(), "sev-snp-guest");
        assertContains(result.stdout(), "confidential-guest-support=sev0");
        assertContains(result.stdout(), "size=1024M");
        assertFalse(result.stdout().contains("s3cret"), "the task's environment reaches the guest, never QEMU's command line: " + result);
    }

    @Test
    void dryRunOfTheSevBackendPrintsTheLaunchMeasurementForScripts() throws IOException {
        String kernel = sevDryRunPrerequisites();
        Path ovmf = Path.of("/usr/share/ovmf/OVMF.fd");
        Prerequisites.require(Files.isRegularFile(ovmf), "Debian's OVMF (apt-get install ovmf)");
        // The generic OVMF cannot hold kernel hashes, so it is measured without them; the AmdSev build measures the kernel too.
        String[] args = {"run", "--backend", "sev", "--dry-run", "-D", "kavach.backends.sev.kernel=" + kernel, "-D", "kavach.backends.sev.cbitpos=51",
                "-D", "kavach.backends.sev.firmware=" + ovmf, "-D", "kavach.backends.sev.kernel-hashes=off",
                "-D", "kavach.state-dir=" + dir.resolve("state"), "--", "true"};
        Cli.Result result = cli().run(args);
        assertEquals(0, result.exitCode(), result::toString);
        List<String> lines = result.stdout().lines().toList();
        assertEquals(3, lines.size(), result::toString);
        assertContains(lines.get(0), "sev-snp-guest");
        assertTrue(lines.get(1).matches("measurement: [0-9a-f]{96}"), result::toString);
        assertContains(lines.get(2), "measurement-scope: firmware and vCPUs only");

        List<String> json = new java.util.ArrayList<>(List.of(args));
        json.add(3, "--json");
        Cli.Result asJson = cli().run(json.toArray(String[]::new));
        assertEquals(0, asJson.exitCode(), asJson::toString);
        assertContains(asJson.stdout(), "\"measurement\":\"" + lines.get(1).substring("measurement: ".length()) + "\"");
        assertContains(asJson.stdout(), "\"argv\":[");

        // Without a firmware that can be measured the command line is still shown, and the reason instead of a value.
        Cli.Result unmeasurable = cli().run("run", "--backend", "sev", "--dry-run", "-D", "kavach.backends.sev.kernel=" + kernel,
                "-D", "kavach.backends.sev.cbitpos=51", "-D", "kavach.backends.sev.firmware=" + ovmf,
                "-D", "kavach.state-dir=" + dir.resolve("state"), "--", "true");
        assertEquals(0, unmeasurable.exitCode(), unmeasurable::toString);
        assertContains(unmeasurable.stdout(), "measurement-error: ");
        assertContains(unmeasurable.stdout(), "SNP_KERNEL_HASHES");
        assertFalse(unmeasurable.stdout().contains("\nmeasurement: "), unmeasurable::toString);
    }

    /** A host without SEV-SNP, a guest kernel and busybox: what a dry run of sev needs. Returns the kernel path. */
    private static String sevDryRunPrerequisites() throws IOException {
        Prerequisites.require(!Files.exists(Path.of("/dev/sev")), "a host WITHOUT /dev/sev, where the sev backend is unavailable");
        Path kernelDir = Path.of(System.getenv().getOrDefault("KAVACH_GUEST_KERNEL_DIR", "/var/cache/kavach/guest-kernel"));
        Path kernelEnv = kernelDir.resolve("kernel.env");
        Prerequisites.require(Files.isRegularFile(kernelEnv), "a guest kernel in " + kernelDir + " (bash .ci/guest-kernel.sh " + kernelDir + ")");
        String kernel = Files.readAllLines(kernelEnv).stream().filter(l -> l.startsWith("KAVACH_GUEST_KERNEL="))
                .map(l -> l.substring("KAVACH_GUEST_KERNEL=".length())).findFirst().orElseThrow();
        Prerequisites.require(Files.isRegularFile(Path.of("/bin/busybox")), "static busybox (apt-get install busybox-static)");
        return kernel;
    }

    @Test
    void rejectsBadFlagValuesWith125NamingTheFlag() {
        assertRejected(cli().run("run", "--memory", "lots", "--", "/bin/true"), "--memory", "256M");
        assertRejected(cli().run("run", "--memory", "512K", "--", "/bin/true"), "--memory", "at least 1M");
        assertRejected(cli().run("run", "--memory", "512mb", "--", "/bin/true"), "--memory", "unknown size unit 'mb'");
        assertRejected(cli().run("run", "--cpus", "-1", "--", "/bin/true"), "--cpus", "0 (no limit)");
        assertRejected(cli().run("run", "--cpus", "many", "--", "/bin/true"), "--cpus", "0.5");
        assertRejected(cli().run("run", "--env", "NOEQUALS", "--", "/bin/true"), "--env", "KEY=VALUE");
        assertRejected(cli().run("run", "--timeout", "0s", "--", "/bin/true"), "--timeout", "30s");
        assertRejected(cli().run("run", "--timeout", "soon", "--", "/bin/true"), "--timeout", "30s");
        assertRejected(cli().run("run", "--policy", "paranoid", "--", "/bin/true"), "--policy", "minimal, basic, strict");
        assertRejected(cli().run("run", "--stdin", dir.resolve("missing").toString(), "--", "/bin/cat"), "--stdin", "readable file");
        assertRejected(cli().run("run", "-D", "policy.memory=1G", "--", "/bin/true"), "-D policy.memory=1G", "kavach.");
    }

    @Test
    void rejectsAmbiguousOrMissingCommands() {
        assertRejected(cli().run("run", "--shell", "echo a", "--", "/bin/echo", "b"), "either --shell", "not both");
        assertRejected(cli().run("run", "--backend", "process"), "nothing to run", "--shell SCRIPT");
    }

    private static void assertRejected(Cli.Result result, String names, String accepted) {
        assertEquals(125, result.exitCode(), result::toString);
        assertContains(result.stderr(), names);
        assertContains(result.stderr(), accepted);
        assertEquals("", result.stdout(), result::toString);
    }
}
