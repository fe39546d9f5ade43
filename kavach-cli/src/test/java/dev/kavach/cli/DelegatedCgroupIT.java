package dev.kavach.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kavach run} as a normal user (nobody) in a real cgroup v2 group delegated to it as systemd's
 * {@code Delegate=yes} leaves it (the group and its cgroup.procs, cgroup.subtree_control and cgroup.threads
 * chowned), with no configuration: alone in it, Kavach moves itself into {@code kavach-supervisor} and makes its
 * groups beside it, as that user; with another process in it, it touches nothing. Where the host's cgroup v2 has
 * the memory controller, a memory limit is then enforced there; where it has not (a hybrid host), the limit is
 * refused with the fix for that. Root makes the group, so the test needs root.
 */
class DelegatedCgroupIT {
    private static final int NOBODY = 65534;

    @TempDir
    Path dir;
    private Path group;
    private Path launcher;

    @BeforeEach
    void delegateAGroupToNobody() throws IOException {
        Assumptions.assumeTrue((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0,
                "skipped, not root: making a cgroup and delegating it to another user (run the tests as root to include it)");
        Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (apt-get install util-linux)");
        Optional<Path> mount = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(line -> line.contains(" - cgroup2 "))
                .map(line -> Path.of(line.split(" ")[4])).filter(Files::isWritable).findFirst();
        Prerequisites.require(mount.isPresent(), "a writable cgroup v2 mount (any systemd host has one, at /sys/fs/cgroup or /sys/fs/cgroup/unified)");
        group = Files.createDirectory(mount.get().resolve("kavach-delegation-it-" + ThreadLocalRandom.current().nextInt(1_000_000, 9_999_999)));
        for (String file : List.of("", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads")) {
            Files.setAttribute(file.isEmpty() ? group : group.resolve(file), "unix:uid", NOBODY);
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        // The packaged distribution, copied where nobody can reach it (a checkout may sit in a 0700 directory, as a
        // clean clone in mktemp's does), without its plugins: the process backend is built in.
        Path dist = RepoLauncher.require().getParent().resolve("kavach-cli/target/kavach-0.1.0");
        Prerequisites.require(Files.isExecutable(dist.resolve("bin/kavach")), "the distribution built by `./mvnw package`");
        launcher = dir.resolve("kavach/bin/kavach");
        Process copy = new ProcessBuilder("/bin/sh", "-c", "mkdir -p \"$2/plugins\" && cp -R \"$1/bin\" \"$1/lib\" \"$1/conf\" \"$2/\" "
                + "&& chmod -R a+rX \"$2\"", "sh", dist.toString(), dir.resolve("kavach").toString()).inheritIO().start();
        try {
            assertEquals(0, copy.waitFor(), "copied the distribution");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    @AfterEach
    void removeTheGroup() throws Exception {
        if (group == null) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.exists(group) && System.nanoTime() < deadline) {
            try (Stream<Path> all = Files.walk(group)) {
                for (Path child : all.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                    try {
                        Files.delete(child);
                    } catch (IOException e) {
                        // still has a member that is exiting; try again
                    }
                }
            }
            Thread.sleep(50);
        }
    }

    private record Run(int exitCode, String output) {
    }

    /** {@code kavach -v run ARGS} as nobody, put in the group first; {@code alone}: the launcher's PID is the group's only one. */
    private Run kavachAsNobody(boolean alone, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c",
                alone ? "echo $$ > \"$1\"; shift; exec \"$@\"" : "echo $$ > \"$1\"; shift; \"$@\"", "sh", group.resolve("cgroup.procs").toString(),
                "/usr/bin/setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                "env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + dir, "KAVACH_CDS=off", launcher.toString(), "-v", "run"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "kavach finished");
        return new Run(process.exitValue(), output);
    }

    private static int owner(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:uid");
    }

    @Test
    void aloneInItsDelegatedCgroupKavachMovesItselfIntoALeafAndMakesItsGroupsAsThatUser() throws Exception {
        Run run = kavachAsNobody(true, "--policy", "minimal", "--", "echo", "ran");
        assertEquals(0, run.exitCode(), run.output());
        assertTrue(run.output().contains("\nran\n"), run.output());
        assertTrue(run.output().contains("moved Kavach (pid "), run.output());
        assertEquals(NOBODY, owner(group.resolve("kavach-supervisor")), "the user made its leaf");
        assertEquals(NOBODY, owner(group.resolve("kavach")), "the user made the parent of its exec groups");

        boolean memory = Files.readString(group.resolve("cgroup.controllers")).contains("memory");
        Run limited = kavachAsNobody(true, "--policy", "minimal", "--memory", "64M", "--json", "--", "true");
        if (memory) {
            assertEquals(0, limited.exitCode(), limited.output());
            assertTrue(limited.output().contains("cgroup v2 memory.max=" + (64L << 20)), limited.output());
        } else {
            assertEquals(125, limited.exitCode(), limited.output());
            assertTrue(limited.output().contains("only in cgroup v1, which is for root"), limited.output());
        }
    }

    @Test
    void aCgroupSharedWithTheShellThatStartedKavachIsLeftAlone() throws Exception {
        Run run = kavachAsNobody(false, "--policy", "minimal", "--memory", "64M", "--", "echo", "ran");
        assertEquals(125, run.exitCode(), run.output());
        assertFalse(run.output().contains("\nran\n"), run.output());
        assertTrue(run.output().contains("1 other process (such as the shell that started Kavach) shares it"), run.output());
        assertFalse(Files.exists(group.resolve("kavach-supervisor")), "nothing moved");
        assertFalse(Files.exists(group.resolve("kavach")), "nothing made");
    }
}
