package dev.kavach.backend.process;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What this host offers the process backend, found once per probe or backend instance so that no exec
 * pays for probing.
 *
 * @param shell          the launcher shell, if executable
 * @param bwrap          the bubblewrap binary, if found
 * @param bwrapVersion   its version line, e.g. {@code "bubblewrap 0.8.0"}
 * @param bwrapWorks     whether a trial {@code bwrap --unshare-all ... true} succeeded
 * @param bwrapError     why the trial failed, if it did
 * @param unshare        the util-linux unshare binary, if found
 * @param setpriv        the util-linux setpriv binary, if found (drops privileges under unshare)
 * @param unshareSetuid  whether unshare knows {@code --setuid}/{@code --setgid} (util-linux 2.36+), so it can make a
 *                       namespace and drop root in one step
 * @param bwrapSetuid    whether the bubblewrap binary is setuid (then only {@code setpriv --no-new-privs} may start it
 *                       after dropping root, so that it cannot regain it)
 * @param root           whether Kavach runs as root
 * @param userNamespaces whether this user may create user namespaces, with the evidence
 * @param cgroups        the cgroup hierarchies
 * @param seccomp        whether the kernel supports seccomp filters
 * @param x86_64         whether Kavach's seccomp programs fit this CPU architecture
 */
record HostFacts(
        Optional<Path> shell,
        Optional<Path> bwrap,
        String bwrapVersion,
        boolean bwrapWorks,
        String bwrapError,
        Optional<Path> unshare,
        Optional<Path> setpriv,
        boolean unshareSetuid,
        boolean bwrapSetuid,
        boolean root,
        Check userNamespaces,
        CgroupHost cgroups,
        boolean seccomp,
        boolean x86_64) {

    /** A yes/no fact with what was seen. */
    record Check(boolean ok, String detail) {
    }

    HostFacts {
        requireNonNull(shell, "shell is null");
        requireNonNull(bwrap, "bwrap is null");
        requireNonNull(bwrapVersion, "bwrapVersion is null");
        requireNonNull(bwrapError, "bwrapError is null");
        requireNonNull(unshare, "unshare is null");
        requireNonNull(setpriv, "setpriv is null");
        requireNonNull(userNamespaces, "userNamespaces is null");
        requireNonNull(cgroups, "cgroups is null");
    }

    static HostFacts detect(ProcessBackendSettings settings) {
        String path = HostTools.hostPath();
        Optional<Path> shell = HostTools.find(settings.shell(), path);
        Optional<Path> bwrap = HostTools.find(settings.bwrap(), path);
        String version = bwrap.flatMap(b -> HostTools.firstLine(List.of(b.toString(), "--version"))).orElse("");
        Optional<Path> unshare = HostTools.find(settings.unshare(), path);
        Optional<Path> setpriv = unshare.flatMap(u -> HostTools.find(u.resolveSibling("setpriv").toString(), path))
                .or(() -> HostTools.find("setpriv", path));
        // As root, commands (and so bubblewrap) normally run as an unprivileged user: try it as that user, whose
        // user namespaces a host may forbid while root's work.
        List<String> dropTo = List.of();
        boolean unprivileged = !HostTools.isRoot();
        try {
            RunAs runAs = RunAs.resolve(settings.runAs());
            if (runAs.dropFromRoot() && setpriv.isPresent()) {
                dropTo = new java.util.ArrayList<>(List.of(setpriv.get().toString()));
                dropTo.addAll(runAs.setprivArgs());
                unprivileged = true;
            }
        } catch (dev.kavach.api.ConfigurationException e) {
            // reported by the probe's run-as check
        }
        String error = "";
        boolean works = false;
        if (bwrap.isPresent()) {
            Optional<String> trial = trialRun(bwrap.get(), dropTo);
            works = trial.isEmpty();
            error = trial.orElse("");
        }
        boolean unshareSetuid = unshare.flatMap(u -> HostTools.run(List.of(u.toString(), "--help")))
                .map(run -> run.output().contains("--setuid")).orElse(false);
        boolean bwrapSetuid = bwrap.map(HostFacts::setuid).orElse(false);
        boolean root = HostTools.isRoot();
        boolean seccomp = HostTools.read(Path.of("/proc/self/status"))
                .map(status -> status.lines().anyMatch(line -> line.startsWith("Seccomp:"))).orElse(false);
        String arch = System.getProperty("os.arch", "");
        return new HostFacts(shell, bwrap, version, works, error, unshare, setpriv, unshareSetuid, bwrapSetuid, root, userNamespaces(!unprivileged),
                CgroupHost.detect(settings.cgroupRoot()), seccomp, arch.equals("amd64") || arch.equals("x86_64"));
    }

    private static boolean setuid(Path binary) {
        try {
            return ((Integer) java.nio.file.Files.getAttribute(binary, "unix:mode") & 04000) != 0;
        } catch (java.io.IOException | RuntimeException e) {
            return true; // unknown: assume the worst, which only costs the extra setpriv step
        }
    }

    /** @param privileged whether namespaces are made as root (commands run as root, or before dropping it) */
    private static Check userNamespaces(boolean privileged) {
        Optional<String> max = HostTools.read(Path.of("/proc/sys/user/max_user_namespaces"));
        Optional<String> debian = HostTools.read(Path.of("/proc/sys/kernel/unprivileged_userns_clone"));
        Optional<String> apparmor = HostTools.read(Path.of("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"));
        if (max.isPresent() && max.get().equals("0")) {
            return new Check(false, "user.max_user_namespaces = 0");
        }
        if (!privileged && debian.isPresent() && debian.get().equals("0")) {
            return new Check(false, "kernel.unprivileged_userns_clone = 0");
        }
        if (!privileged && apparmor.isPresent() && apparmor.get().equals("1")) {
            return new Check(false, "kernel.apparmor_restrict_unprivileged_userns = 1");
        }
        return new Check(true, "allowed (user.max_user_namespaces = " + max.orElse("?")
                + debian.map(v -> ", kernel.unprivileged_userns_clone = " + v).orElse("") + (privileged ? ", for root" : "") + ")");
    }

    /** Runs bubblewrap once the way Kavach will; returns why it failed, or empty when it worked. */
    private static Optional<String> trialRun(Path bwrap, List<String> dropTo) {
        Optional<Path> trueBinary = HostTools.find("true", "/usr/bin:/bin");
        if (trueBinary.isEmpty()) {
            return Optional.of("no 'true' binary to try bubblewrap with");
        }
        List<String> argv = new java.util.ArrayList<>(dropTo);
        argv.addAll(List.of(bwrap.toString(), "--unshare-all", "--die-with-parent",
                "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--", trueBinary.get().toString()));
        Optional<HostTools.Run> run = HostTools.run(argv);
        if (run.isEmpty()) {
            return Optional.of("could not run " + bwrap);
        }
        if (run.get().exitCode() != 0) {
            return Optional.of("a trial run exited with " + run.get().exitCode() + ": " + run.get().firstLine());
        }
        return Optional.empty();
    }

    /** Whether a policy needing namespaces can get them from bubblewrap. */
    boolean bwrapUsable() {
        return bwrap.isPresent() && bwrapWorks;
    }

    boolean seccompUsable() {
        return seccomp && x86_64 && bwrapUsable();
    }
}
