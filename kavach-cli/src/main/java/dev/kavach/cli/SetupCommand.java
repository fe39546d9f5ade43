package dev.kavach.cli;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

import dev.kavach.api.ProbeCheck;
import dev.kavach.core.BackendEntry;
import dev.kavach.core.Kavach;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import static java.util.Objects.requireNonNull;

/**
 * {@code kavach setup}: installs the system packages the default backend needs for the default policy
 * (bubblewrap, which runs every command, and util-linux's setpriv), after showing
 * exactly what it will run and why, and only with the user's consent. It never changes a policy or a
 * sysctl: what the host must allow (user namespaces) it names as a fix instead.
 */
@Command(name = "setup", usageHelpAutoWidth = true,
        description = {"Installs what the default backend needs (bubblewrap), showing the command first and asking before it runs it.",
                "Uses apt-get, dnf, zypper or pacman; sudo when not root. Then checks that the sandbox works."})
final class SetupCommand implements Callable<Integer> {
    /** A package the process backend needs, the binary that shows it is installed, and why. */
    record Need(String pkg, String binary, String why) {
    }

    private static final List<Need> NEEDS = List.of(
            new Need("bubblewrap", "bwrap", "the process backend (the default) runs every command inside it: namespaces, "
                    + "private /tmp, read-only root and the seccomp filter"),
            new Need("util-linux", "setpriv", "setpriv drops root before the command starts when Kavach runs as root"));
    /** Used only when PATH is unset. bubblewrap, util-linux and the package managers install into /usr/bin. */
    private static final String STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final KavachCommand top;
    private final BooleanSupplier terminal;
    private final BooleanSupplier root;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Shows this help and exits.")
    boolean help;

    @Mixin
    LoadOptions load = new LoadOptions();

    @Option(names = {"-y", "--yes"}, description = "Installs without asking (for scripts).")
    boolean yes;

    @Option(names = "--dry-run", description = "Shows what would be installed and the command, and installs nothing.")
    boolean dryRun;

    @Option(names = "--offer", hidden = true,
            description = "The launcher's first-run offer: asks once on a terminal, remembers a no, and never fails.")
    boolean offer;

    SetupCommand(KavachCommand top) {
        this(top, () -> TerminalProgress.isTerminal(0), SetupCommand::isRoot);
    }

    SetupCommand(KavachCommand top, BooleanSupplier terminal, boolean root) {
        this(top, terminal, () -> root);
    }

    /** @param root asked only when setup runs, so that building the command (for any command line) reads nothing */
    private SetupCommand(KavachCommand top, BooleanSupplier terminal, BooleanSupplier root) {
        this.top = requireNonNull(top, "top is null");
        this.terminal = requireNonNull(terminal, "terminal is null");
        this.root = requireNonNull(root, "root is null");
    }

    @Override
    public Integer call() {
        PrintStream err = top.invocation().err();
        String path = top.invocation().environment().getOrDefault("PATH", STANDARD_PATH);
        List<Need> missing = NEEDS.stream().filter(need -> SystemPackages.find(need.binary(), path).isEmpty()).toList();
        List<String> packages = missing.stream().map(Need::pkg).distinct().toList();
        if (packages.isEmpty()) {
            if (offer) {
                return ExitCodes.OK;
            }
            err.println("kavach setup: nothing to install (bwrap and setpriv are on PATH)");
            return dryRun ? ExitCodes.OK : checkSandbox(err);
        }
        Path declined = declinedMarker();
        if (offer && (Files.exists(declined) || !terminal.getAsBoolean())) {
            return ExitCodes.OK;
        }
        SystemPackages system;
        try {
            system = SystemPackages.detect(path, root.getAsBoolean());
        } catch (IllegalStateException e) {
            err.println("kavach setup: cannot install " + String.join(", ", packages) + ": " + e.getMessage());
            return offer ? ExitCodes.OK : ExitCodes.KAVACH_FAILED;
        }
        List<List<String>> commands = new ArrayList<>();
        if (system.manager().equals("apt-get")) {
            // A fresh image may have no package lists yet; an install would then not find the package.
            commands.add(system.command(List.of("update")));
        }
        commands.add(system.installCommand(packages));

        err.println(offer ? "kavach: the default backend needs software that is not installed:" : "kavach setup: Kavach needs:");
        for (Need need : missing) {
            err.println("  " + need.pkg() + " (" + need.binary() + " is missing): " + need.why());
        }
        err.println((dryRun ? "It would run:" : "It will run:"));
        for (List<String> command : commands) {
            err.println("  " + ShellQuote.join(command));
        }
        if (dryRun) {
            return ExitCodes.OK;
        }
        if (!yes) {
            if (!terminal.getAsBoolean()) {
                err.println("kavach setup: not on a terminal, so nothing was installed; to install, run: kavach setup --yes");
                return ExitCodes.KAVACH_FAILED;
            }
            err.print("Install now? [y/N] ");
            err.flush();
            if (!consent(top.invocation().in())) {
                if (offer) {
                    remember(declined);
                    err.println("Nothing installed (not asked again); 'kavach setup' installs it later.");
                    return ExitCodes.OK;
                }
                err.println("kavach setup: nothing installed.");
                return ExitCodes.KAVACH_FAILED;
            }
        }
        for (List<String> command : commands) {
            int code = runCommand(command, err);
            if (code != 0) {
                err.println("kavach setup: '" + ShellQuote.join(command) + "' failed (exit " + code + "); nothing else was run. "
                        + "fix: correct the problem it printed, then run kavach setup again");
                return ExitCodes.KAVACH_FAILED;
            }
        }
        List<Need> still = NEEDS.stream().filter(need -> SystemPackages.find(need.binary(), path).isEmpty()).toList();
        if (!still.isEmpty()) {
            err.println("kavach setup: the install finished but " + still.get(0).binary() + " is still not on PATH; "
                    + "fix: check that package " + still.get(0).pkg() + " installed it, and that its directory is on PATH");
            return ExitCodes.KAVACH_FAILED;
        }
        int checked = checkSandbox(err);
        return offer ? ExitCodes.OK : checked;
    }

    /**
     * Asks the process backend whether bubblewrap now works for this user: installing it is not enough where
     * the host forbids user namespaces (Ubuntu 24.04's AppArmor restriction, a sysctl), and the backend's probe
     * names that fix.
     */
    private int checkSandbox(PrintStream err) {
        try (Kavach kavach = top.load(load, Map.of())) {
            BackendEntry process = kavach.backends().stream().filter(b -> b.id().equals("process")).findFirst().orElse(null);
            if (process == null) {
                err.println("kavach setup: the process backend was not found; fix: run Kavach from its distribution or checkout");
                return ExitCodes.KAVACH_FAILED;
            }
            boolean ok = true;
            for (ProbeCheck check : process.availability().checks()) {
                // The default preset (basic) also sets memory and pids limits: a host without them refuses it.
                if (List.of("bubblewrap", "user namespaces", "seccomp", "memory limit", "pids limit").contains(check.name())) {
                    err.println("  [" + (check.passed() ? "ok" : "miss") + "] " + check.name() + ": " + check.detail());
                    if (!check.passed()) {
                        ok = false;
                        if (!check.fix().isEmpty()) {
                            err.println("         fix: " + check.fix());
                        }
                    }
                }
            }
            err.println(ok ? "kavach setup: the default policy can be enforced here; try: kavach run -- uname -a"
                    : "kavach setup: the packages are installed, but this host cannot yet enforce the default policy for this user "
                            + "(see each fix above); --policy minimal runs without cgroup limits");
            return ok ? ExitCodes.OK : ExitCodes.KAVACH_FAILED;
        }
    }

    /** Runs one install step with its output on our stderr (stdout stays Kavach's); sudo asks on the terminal itself. */
    private int runCommand(List<String> command, PrintStream err) {
        err.println("+ " + ShellQuote.join(command));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
        builder.redirectInput(terminal.getAsBoolean() ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.from(new File("/dev/null")));
        try {
            long started = System.nanoTime();
            Process process = builder.start();
            try (InputStream output = process.getInputStream()) {
                output.transferTo(err);
            }
            err.flush();
            int status = process.waitFor();
            org.slf4j.LoggerFactory.getLogger(SetupCommand.class).debug("{} exited {} after {} ms", ShellQuote.join(command), status,
                    (System.nanoTime() - started) / 1_000_000);
            return status;
        } catch (IOException e) {
            err.println("kavach setup: could not run " + command.get(0) + ": " + e.getMessage());
            return 127;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    private static boolean consent(InputStream in) {
        try {
            String line = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
            return line != null && List.of("y", "yes").contains(line.strip().toLowerCase(Locale.ROOT));
        } catch (IOException e) {
            return false;
        }
    }

    /** Where a "no" to the launcher's offer is remembered, so that it asks once, not on every run. */
    private Path declinedMarker() {
        Map<String, String> env = top.invocation().environment();
        String cache = env.getOrDefault("XDG_CACHE_HOME", env.getOrDefault("HOME", "/tmp") + "/.cache");
        return Path.of(cache, "kavach", "setup-declined");
    }

    private static void remember(Path marker) {
        try {
            Files.createDirectories(marker.getParent());
            Files.writeString(marker, "The first-run offer to install bubblewrap was declined; 'kavach setup' installs it.\n");
        } catch (IOException e) {
            // Not remembered: the offer comes again next time, which is harmless.
        }
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(line -> line.startsWith("Uid:"))
                    .anyMatch(line -> line.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }
}
