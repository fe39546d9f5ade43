package dev.kavach.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static dev.kavach.cli.Cli.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kavach setup} against a fake host: a PATH holding only stand-ins for apt-get, dnf, sudo and
 * friends that log their arguments, so the test sees exactly which commands setup runs, and when it runs none.
 */
class SetupCommandTest {
    @TempDir
    Path dir;
    private Path bin;
    private Path log;

    record Outcome(int exitCode, String stderr) {
    }

    @BeforeEach
    void fakeHost() throws IOException {
        bin = Files.createDirectories(dir.resolve("bin"));
        log = dir.resolve("commands.log");
        Files.writeString(log, "");
    }

    /** A stand-in that logs its name and arguments, and runs {@code body}. */
    private void tool(String name, String body) throws IOException {
        Path tool = bin.resolve(name);
        Files.writeString(tool, "#!/bin/sh\necho \"" + name + " $*\" >> '" + log + "'\n" + body + "\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** An apt-get whose install puts the binaries in place, as the real packages do. */
    private void aptGet() throws IOException {
        tool("apt-get", "case \"$1\" in install) for b in bwrap unshare setpriv; do printf '#!/bin/sh\\n' > '" + bin + "'/$b; "
                + "chmod +x '" + bin + "'/$b; done;; esac\nexit 0");
    }

    private void sudo() throws IOException {
        tool("sudo", "exec \"$@\"");
    }

    private Outcome setup(boolean terminal, boolean root, String stdin, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Invocation invocation = new Invocation(Map.of("PATH", bin.toString(), "HOME", dir.toString()), dir,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), new PrintStream(new ByteArrayOutputStream(), true),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        KavachCommand top = new KavachCommand(invocation);
        CommandLine cl = new CommandLine(new SetupCommand(top, () -> terminal, root));
        String[] all = new String[args.length + 2];
        all[0] = "-D";
        all[1] = "kavach.plugins.dir=" + dir.resolve("no-plugins");
        System.arraycopy(args, 0, all, 2, args.length);
        int code = cl.execute(all);
        return new Outcome(code, err.toString(StandardCharsets.UTF_8));
    }

    private List<String> ran() throws IOException {
        return Files.readAllLines(log);
    }

    @Test
    void dryRunShowsWhatItWouldInstallWhyAndTheExactCommandsAndRunsNothing() throws IOException {
        aptGet();
        sudo();
        Outcome out = setup(true, false, "", "--dry-run");
        assertEquals(0, out.exitCode(), out.stderr());
        assertContains(out.stderr(), "bubblewrap (bwrap is missing): the process backend (the default) runs every command inside it");
        assertContains(out.stderr(), "  " + bin.resolve("sudo") + " " + bin.resolve("apt-get") + " update\n");
        assertContains(out.stderr(), "  " + bin.resolve("sudo") + " " + bin.resolve("apt-get") + " install -y --no-install-recommends bubblewrap util-linux\n");
        assertEquals(List.of(), ran());
    }

    @Test
    void withoutATerminalOrYesItInstallsNothingAndSaysHow() throws IOException {
        aptGet();
        Outcome out = setup(false, true, "y\n");
        assertEquals(125, out.exitCode(), out.stderr());
        assertContains(out.stderr(), "not on a terminal, so nothing was installed; to install, run: kavach setup --yes");
        assertEquals(List.of(), ran());
    }

    @Test
    void yesInstallsThroughSudoWhenNotRoot() throws IOException {
        aptGet();
        sudo();
        Outcome out = setup(false, false, "", "--yes");
        assertEquals(List.of("sudo " + bin.resolve("apt-get") + " update", "apt-get update",
                "sudo " + bin.resolve("apt-get") + " install -y --no-install-recommends bubblewrap util-linux",
                "apt-get install -y --no-install-recommends bubblewrap util-linux"), ran(), out.stderr());
        assertTrue(Files.isExecutable(bin.resolve("bwrap")));
        // Then it asks the process backend whether the sandbox works for this user (on this host's own bwrap).
        assertContains(out.stderr(), "bubblewrap: ");
    }

    @Test
    void asRootItUsesThePackageManagerDirectlyAndAsksFirstOnATerminal() throws IOException {
        tool("dnf", "exit 0");
        Outcome no = setup(true, true, "n\n");
        assertEquals(125, no.exitCode(), no.stderr());
        assertContains(no.stderr(), bin.resolve("dnf") + " install -y bubblewrap util-linux");
        assertContains(no.stderr(), "Install now? [y/N] ");
        assertEquals(List.of(), ran());

        setup(true, true, "yes\n");
        assertEquals(List.of("dnf install -y bubblewrap util-linux"), ran());
    }

    @Test
    void refusesClearlyWhenItCannotInstall() throws IOException {
        aptGet();
        Outcome noSudo = setup(true, false, "y\n");
        assertEquals(125, noSudo.exitCode());
        assertContains(noSudo.stderr(), "cannot install bubblewrap, util-linux: installing packages needs root, and sudo is not installed; "
                + "as root, run: apt-get install -y --no-install-recommends bubblewrap");

        Files.delete(bin.resolve("apt-get"));
        Outcome noManager = setup(true, true, "y\n");
        assertEquals(125, noManager.exitCode());
        assertContains(noManager.stderr(), "no supported package manager (apt-get, dnf, zypper, pacman) on PATH");
        assertEquals(List.of(), ran());
    }

    @Test
    void aFailedInstallStopsAndNamesTheCommand() throws IOException {
        tool("zypper", "exit 104");
        Outcome out = setup(false, true, "", "--yes");
        assertEquals(125, out.exitCode());
        assertContains(out.stderr(), "'" + bin.resolve("zypper") + " --non-interactive install bubblewrap util-linux' failed (exit 104)");
    }

    @Test
    void theLaunchersOfferAsksOnceAndNeverFailsTheRun() throws IOException {
        aptGet();
        Outcome no = setup(true, true, "\n", "--offer");
        assertEquals(0, no.exitCode(), no.stderr());
        assertContains(no.stderr(), "the default backend needs software that is not installed");
        assertContains(no.stderr(), "not asked again");
        assertTrue(Files.exists(dir.resolve(".cache/kavach/setup-declined")));

        Outcome again = setup(true, true, "y\n", "--offer");
        assertEquals(0, again.exitCode());
        assertEquals("", again.stderr());
        assertEquals(List.of(), ran());
    }

    @Test
    void theOfferStaysQuietWithoutATerminalAndWhenNothingIsMissing() throws IOException {
        aptGet();
        assertEquals(new Outcome(0, ""), setup(false, true, "y\n", "--offer"));
        for (String binary : List.of("bwrap", "unshare", "setpriv")) {
            tool(binary, "exit 0");
        }
        assertEquals(new Outcome(0, ""), setup(true, true, "y\n", "--offer"));
        assertFalse(Files.readString(log).contains("apt-get"));
    }
}
