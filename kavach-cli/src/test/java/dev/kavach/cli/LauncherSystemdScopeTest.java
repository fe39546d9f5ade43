package dev.kavach.cli;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher starts the JVM of a normal user on a cgroup v2 host in a delegated systemd scope when the user's
 * cgroup is not delegated to Kavach, and only then. The checkout's real {@code kavach} runs as a distribution's
 * {@code bin/kavach} with a fake JDK, a fake {@code systemd-run} that records its arguments and runs the command,
 * a fake user runtime directory and a fake cgroup v2 mount (KAVACH_CGROUP_MOUNT); as a normal user (nobody, when
 * the tests run as root).
 */
class LauncherSystemdScopeTest {
    private static final int NOBODY = 65534;

    @TempDir
    Path dir;
    private Path launcher;
    private Path log;
    private Path mount;
    private Path ownDir;
    private Path runtime;
    private Map<String, String> env;

    @BeforeEach
    void fakeHost() throws IOException {
        Path repo = Path.of(System.getProperty("launcher.repo.root", "..")).toAbsolutePath().normalize();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        launcher = executable(dir.resolve("bin/kavach"), Files.readString(repo.resolve("kavach")));
        Files.createDirectories(dir.resolve("lib"));
        Files.createFile(dir.resolve("lib/kavach-cli-0.1.0.jar"));
        log = Files.createFile(dir.resolve("calls.log"));
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-rw-rw-"));
        executable(dir.resolve("jdk/bin/java"), "#!/bin/sh\nprintf 'java %s\\n' \"$*\" >> '" + log + "'\n");
        Files.writeString(dir.resolve("jdk/release"), "JAVA_VERSION=\"21.0.5\"\n");
        // Records its arguments and runs the command after "--", as systemd-run's scope mode does (in its own process).
        executable(dir.resolve("tools/systemd-run"), "#!/bin/sh\nprintf 'systemd-run %s\\n' \"$*\" >> '" + log + "'\n"
                + "while [ \"$1\" != -- ]; do shift; done\nshift\nexec \"$@\"\n");
        runtime = Files.createDirectories(dir.resolve("run/systemd"));
        Files.createFile(runtime.resolve("private"));
        runtime = dir.resolve("run");
        Files.createFile(runtime.resolve("bus"));
        if (root()) {
            Files.setAttribute(runtime, "unix:uid", NOBODY); // as logind makes /run/user/<uid>: the user's own
        }
        mount = Files.createDirectories(dir.resolve("cgroup"));
        Files.writeString(mount.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
        // The launcher's cgroup is the test JVM's: the fake tree has a group at the same path.
        String own = ownCgroup().orElse("/");
        ownDir = own.equals("/") ? mount : Files.createDirectories(mount.resolve(own.substring(1)));
        for (String file : List.of("cgroup.controllers", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads")) {
            Files.writeString(ownDir.resolve(file), file.equals("cgroup.controllers") ? "cpu memory pids\n" : "");
        }
        env = new HashMap<>(Map.of("PATH", dir.resolve("tools") + ":/usr/bin:/bin", "HOME", dir.toString(), "XDG_RUNTIME_DIR", runtime.toString(),
                "KAVACH_JAVA_HOME", dir.resolve("jdk").toString(), "KAVACH_CDS", "off", "KAVACH_CGROUP_MOUNT", mount.toString()));
    }

    private static Path executable(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    private static Optional<String> ownCgroup() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/cgroup")).stream().filter(l -> l.startsWith("0::/")).map(l -> l.substring(3)).findFirst();
    }

    private static boolean root() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
    }

    /** The user the launcher runs as: nobody when the tests run as root, else the tests' own user. */
    private static int user() throws IOException {
        return root() ? NOBODY : (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /** Runs {@code kavach run -- true} as {@code asRoot ? root : user()}, optionally first putting its PID alone in its cgroup. */
    private List<String> launch(boolean asRoot, boolean aloneInItsCgroup) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (!asRoot && root()) {
            Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) to run the launcher as nobody");
            command.addAll(List.of("/usr/bin/setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        }
        // sh's PID is the launcher's: it writes it to the group, then becomes the launcher.
        String procs = aloneInItsCgroup ? ownDir.resolve("cgroup.procs").toString() : "/dev/null";
        command.addAll(List.of("/bin/sh", "-c", "echo $$ > \"$1\"; shift; exec \"$@\"", "sh", procs, launcher.toString(), "run", "--", "true"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the launcher finished");
        assertEquals(0, process.exitValue(), output);
        return Files.readAllLines(log);
    }

    /** Hands the fake group to the launcher's user as systemd's Delegate=yes would, or takes it away. */
    private void delegate(boolean toTheUser) throws IOException {
        for (Path path : List.of(ownDir, ownDir.resolve("cgroup.procs"), ownDir.resolve("cgroup.subtree_control"), ownDir.resolve("cgroup.threads"))) {
            if (root()) {
                Files.setAttribute(path, "unix:uid", toTheUser ? NOBODY : 0);
            } else if (!path.equals(ownDir)) {
                // A normal user's test cannot give files away: not writable is what the launcher sees of another's group.
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(toTheUser ? "rw-r--r--" : "r--r--r--"));
            }
        }
    }

    /** Whether {@code call} is the fake JDK's java running the CLI with the user's arguments. */
    private static boolean isJava(String call) {
        return call.startsWith("java ") && call.endsWith(" run -- true");
    }

    @Test
    void aNormalUserWhoseCgroupIsNotDelegatedGetsAFreshDelegatedScope() throws Exception {
        delegate(false);
        List<String> calls = launch(false, false);
        assertEquals(2, calls.size(), calls::toString);
        assertTrue(calls.get(0).startsWith("systemd-run --user --scope --quiet --collect -p Delegate=yes -- " + dir.resolve("jdk/bin/java") + " ")
                && calls.get(0).endsWith(" run -- true"), calls::toString);
        assertTrue(isJava(calls.get(1)), calls::toString);
    }

    @Test
    void aCgroupDelegatedToKavachWithNothingElseInItIsKept() throws Exception {
        Prerequisites.require(ownCgroup().isPresent(), "a cgroup v2 line (0::) in /proc/self/cgroup to place the fake group");
        delegate(true);
        List<String> calls = launch(false, true);
        assertEquals(1, calls.size(), calls::toString);
        assertTrue(isJava(calls.get(0)), calls::toString);
    }

    @Test
    void aDelegatedCgroupSharedWithTheShellGetsAScopeToo() throws Exception {
        Files.writeString(ownDir.resolve("cgroup.procs"), "1\n");
        delegate(true);
        List<String> calls = launch(false, false);
        assertTrue(calls.get(0).startsWith("systemd-run "), calls::toString);
    }

    @Test
    void theScopeIsLeftOutWhenTurnedOffOrWithoutTheUsersManagerOrOnCgroupV1() throws Exception {
        delegate(false);
        env.put("KAVACH_SYSTEMD_SCOPE", "off");
        assertEquals(1, launch(false, false).size(), "KAVACH_SYSTEMD_SCOPE=off");
        env.remove("KAVACH_SYSTEMD_SCOPE");
        Files.delete(log);
        Files.setPosixFilePermissions(Files.createFile(log), PosixFilePermissions.fromString("rw-rw-rw-"));

        Files.delete(runtime.resolve("bus"));
        assertEquals(1, launch(false, false).size(), "no user bus");
        Files.createFile(runtime.resolve("bus"));
        Files.delete(log);
        Files.setPosixFilePermissions(Files.createFile(log), PosixFilePermissions.fromString("rw-rw-rw-"));

        Files.delete(mount.resolve("cgroup.controllers"));
        assertEquals(1, launch(false, false).size(), "no cgroup v2 at the mount");
    }

    @Test
    void rootNeverGetsAScope() throws Exception {
        Assumptions.assumeTrue(root(), "skipped, not root: running the launcher as root (run the tests as root to include it)");
        delegate(false);
        List<String> calls = launch(true, false);
        assertEquals(1, calls.size(), calls::toString);
        assertTrue(isJava(calls.get(0)), calls::toString);
    }
}
