package dev.kavach.backend.process;

import dev.kavach.api.Outcome;
import dev.kavach.api.process.ProgramLookup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the debug log shows of a plan, and which programs the sandbox can see. Pure: nothing runs. */
class LaunchPlanTest {
    /** A work directory outside the replaced ones (it need not exist: nothing runs). */
    private static final Path WORKDIR = Path.of("/srv/kavach-test-workdir");

    @Test
    void theDebugLogShowsBubblewrapsOptionsButNoneOfTheEnvironmentsValues() {
        LaunchPlan plan = new LaunchPlan(List.of("/bin/sh", "-c", "launcher", "/usr/bin/bwrap", "--args", "4", "--", "env"),
                List.of("--unshare-all", "--setenv", "API_TOKEN", "s3cret", "--setenv", "PATH", "/bin", "--chdir", "/w"), Map.of(),
                Map.of("API_TOKEN", "s3cret", "PATH", "/bin"), Path.of("/k/status"), Path.of("/k/args"), true, null, List.of());

        assertEquals(List.of("--unshare-all", "--setenv", "API_TOKEN", "<redacted>", "--setenv", "PATH", "<redacted>", "--chdir", "/w"),
                plan.loggableOptions());
        assertFalse(plan.argv().toString().contains("s3cret"), "the environment is in no argv");
    }

    @Test
    void aProgramInADirectoryTheSandboxReplacesIsNotFoundThere(@TempDir Path tmp) throws Exception {
        Path hiddenDir = Files.createDirectory(tmp.resolve("bin"));
        Path program = Files.writeString(hiddenDir.resolve("tool"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> env = Map.of("PATH", hiddenDir + ":/usr/bin:/bin");

        ProgramLookup onPath = SandboxProgramLookup.find("tool", env, WORKDIR, List.of(tmp));
        assertEquals(127, onPath.status());
        assertTrue(onPath.message().contains("inside the sandbox only /usr/bin:/bin"), onPath.message());
        assertEquals(Outcome.FAILED_TO_START, onPath.failedToStart().build().outcome());

        ProgramLookup byPath = SandboxProgramLookup.find(program.toString(), env, WORKDIR, List.of(tmp));
        assertEquals(127, byPath.status());
        assertTrue(byPath.message().contains("replaces with a private one"), byPath.message());

        assertTrue(SandboxProgramLookup.find("./tool", env, hiddenDir, List.of(tmp)).found(),
                "a work directory inside a replaced one is bound into the sandbox, so what lies in it is seen");
        assertTrue(SandboxProgramLookup.find("sh", env, WORKDIR, List.of(tmp)).found(), "the rest of PATH is searched");
    }
}
