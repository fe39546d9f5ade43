package dev.kavach.backend.sev.guest;

import dev.kavach.backend.sev.VmPrerequisites;
import dev.kavach.backend.sev.qemu.QemuBinary;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guest's privilege drop, run on this (x86-64 Linux) host exactly as the agent runs it: as root, with
 * the launch report on fd 4, a cgroup.procs stand-in on fd 5 and the runner's oom_score_adj on fd 6.
 */
@Tag("adversarial")
class DropExecProgramTest {
    @Test
    void theCodeIsExactlyWhatTheShippedSourceAssemblesTo(@TempDir Path dir) throws Exception {
        VmPrerequisites.require(QemuBinary.locate("as").isPresent() && QemuBinary.locate("objcopy").isPresent(),
                "GNU as and objcopy (apt-get install binutils) to check drop-exec's machine code against its source");
        Path source = dir.resolve("drop-exec.S");
        try (InputStream in = GuestImageBuilder.class.getResourceAsStream("drop-exec.S")) {
            Files.write(source, in.readAllBytes());
        }
        sh(dir, "as --64 -o drop-exec.o drop-exec.S && objcopy -O binary -j .text drop-exec.o drop-exec.bin");
        assertThat(Files.readAllBytes(dir.resolve("drop-exec.bin"))).isEqualTo(DropExecProgram.code());
        assertThat(Files.readString(source)).contains(".set TASK_ID, " + DropExecProgram.TASK_ID);
        assertThat(new String(GuestImageBuilder.resource("init"), StandardCharsets.UTF_8))
                .as("the agent chowns the work directory to the uid drop-exec sets").contains("TASK_ID=" + DropExecProgram.TASK_ID + "\n");
    }

    @Test
    void theTaskRunsWithoutRootGroupsCapabilitiesOrNewPrivilegesAndItsEndIsRecordedOutOfItsReach(@TempDir Path dir) throws Exception {
        Path program = program(dir);
        String status = run(dir, program, "/bin/sh", "sh", "-c",
                "grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status; ls /proc/self/fd; "
                        + "cat /proc/self/oom_score_adj; echo forged >&4; exit 7");

        assertThat(status).contains("Uid:\t1000\t1000\t1000\t1000", "Gid:\t1000\t1000\t1000\t1000", "CapInh:\t0000000000000000",
                "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "CapAmb:\t0000000000000000",
                "NoNewPrivs:\t1");
        assertThat(status.lines().filter(l -> l.startsWith("Groups:")).findFirst().orElseThrow().trim()).isEqualTo("Groups:");
        assertThat(status.lines().filter(l -> l.matches("[0-9]+")).toList()).as("fds the task holds (ls's own included), then its oom_score_adj")
                .containsExactly("0", "1", "2", "3", "0");
        assertThat(Files.readString(dir.resolve("launch"))).as("the task's write to fd 4 failed: it never held it").isEqualTo("exit 7\n");
        assertThat(Files.readString(dir.resolve("cgroup.procs"))).as("the child moved itself into the cgroup").isEqualTo("0\n");
    }

    @Test
    void aSignalAMissingProgramAndANonExecutableOneAreRecordedAsSuch(@TempDir Path dir) throws Exception {
        Path program = program(dir);
        run(dir, program, "/bin/sh", "sh", "-c", "kill -9 $$");
        assertThat(Files.readString(dir.resolve("launch"))).isEqualTo("signal 9\n");
        run(dir, program, "/no/such/program", "x");
        assertThat(Files.readString(dir.resolve("launch"))).isEqualTo("exec 2\nexit 127\n");
        Path data = Files.writeString(dir.resolve("data"), "not a program");
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rw-r--r--"));
        run(dir, program, data.toString(), "x");
        assertThat(Files.readString(dir.resolve("launch"))).as("EACCES: not executable").isEqualTo("exec 13\nexit 126\n");
        run(dir, program, "/bin/sh");
        assertThat(Files.readString(dir.resolve("launch"))).as("PROGRAM without ARG0").isEqualTo("error usage 22\n");
    }

    private static Path program(Path dir) throws Exception {
        VmPrerequisites.require("root".equals(System.getProperty("user.name")), "root, to run drop-exec as the agent runs it");
        VmPrerequisites.require("amd64".equals(System.getProperty("os.arch")) && "Linux".equals(System.getProperty("os.name")),
                "an x86-64 Linux host, to run the guest's x86-64 drop-exec directly");
        Path program = dir.resolve("drop-exec");
        Files.write(program, DropExecProgram.elf());
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return program;
    }

    /** Runs drop-exec as the runner does and returns what the task printed. */
    private static String run(Path dir, Path program, String... args) throws Exception {
        String quoted = List.of(args).stream().map(a -> "'" + a.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
        return sh(dir, "exec 4>launch 5>cgroup.procs 6>/proc/$$/oom_score_adj; exec " + program + " " + quoted);
    }

    private static String sh(Path dir, String script) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", script).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(Map.of("PATH", "/usr/bin:/bin"));
        Process process = builder.start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
