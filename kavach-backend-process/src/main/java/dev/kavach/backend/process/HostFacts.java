package dev.kavach.backend.process;

import dev.kavach.api.process.HostProbeCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * @param setpriv        the util-linux setpriv binary, if found (drops root before bubblewrap starts)
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
        Optional<Path> setpriv,
        boolean bwrapSetuid,
        boolean root,
        Check userNamespaces,
        CgroupHost cgroups,
        boolean seccomp,
        boolean x86_64) {

    private static final Logger LOG = LoggerFactory.getLogger(HostFacts.class);

    /** A yes/no fact with what was seen. */
    record Check(boolean ok, String detail) {
    }

    HostFacts {
        requireNonNull(shell, "shell is null");
        requireNonNull(bwrap, "bwrap is null");
        requireNonNull(bwrapVersion, "bwrapVersion is null");
        requireNonNull(bwrapError, "bwrapError is null");
        requireNonNull(setpriv, "setpriv is null");
        requireNonNull(userNamespaces, "userNamespaces is null");
        requireNonNull(cgroups, "cgroups is null");
    }

    /** How many times this JVM probed the host, for tests. */
    static final java.util.concurrent.atomic.AtomicLong DETECTIONS = new java.util.concurrent.atomic.AtomicLong();

    static HostFacts detect(ProcessBackendSettings settings) {
        DETECTIONS.incrementAndGet();
        long start = System.nanoTime();
        HostFacts facts = probe(settings);
        LOG.debug("probed the host in {} ms: {}", (System.nanoTime() - start) / 1_000_000, facts);
        return facts;
    }

    private static HostFacts probe(ProcessBackendSettings settings) {
        String path = HostTools.hostPath();
        Optional<Path> shell = HostTools.find(settings.shell(), path);
        Optional<Path> bwrap = HostTools.find(settings.bwrap(), path);
        HostProbeCache cache = HostProbeCache.ofUser();
        String version = bwrap.flatMap(b -> HostTools.firstLine(cache, List.of(b.toString(), "--version"), List.of(b))).orElse("");
        Optional<Path> setpriv = HostTools.find("setpriv", path);
        // As root, commands (and so bubblewrap) normally run as an unprivileged user: try it as that user, whose
        // user namespaces a host may forbid while root's work.
        List<String> dropTo = List.of();
        boolean unprivileged = !HostTools.isRoot();
        try {
            // A per-sandbox identity is tried as nobody: any unprivileged id answers whether bubblewrap works.
            RunAs runAs = RunAs.resolve(settings.runAs());
            if (runAs.perSandbox()) {
                runAs = new RunAs(RunAs.NOBODY, RunAs.NOBODY, "nobody", true, false, false);
            }
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
            Optional<String> trial = trialRun(cache, bwrap.get(), dropTo);
            works = trial.isEmpty();
            error = trial.orElse("");
        }
        boolean bwrapSetuid = bwrap.map(HostFacts::setuid).orElse(false);
        boolean root = HostTools.isRoot();
        boolean seccomp = HostTools.read(Path.of("/proc/self/status"))
                .map(status -> status.lines().anyMatch(line -> line.startsWith("Seccomp:"))).orElse(false);
        String arch = System.getProperty("os.arch", "");
        return new HostFacts(shell, bwrap, version, works, error, setpriv, bwrapSetuid, root, userNamespaces(!unprivileged,
                HostTools.read(Path.of("/proc/sys/user/max_user_namespaces")), HostTools.read(Path.of("/proc/sys/kernel/unprivileged_userns_clone")),
                HostTools.read(Path.of("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"))),
                CgroupHost.detect(settings), seccomp, arch.equals("amd64") || arch.equals("x86_64"));
    }

    private static boolean setuid(Path binary) {
        try {
            return ((Integer) java.nio.file.Files.getAttribute(binary, "unix:mode") & 04000) != 0;
        } catch (java.io.IOException | RuntimeException e) {
            return true; // unknown: assume the worst, which only costs the extra setpriv step
        }
    }

    /**
     * Whether user namespaces may be made, from the sysctls' texts (pure, so that a test can feed any value).
     * The count is parsed as a number, never compared as text.
     *
     * @param privileged whether namespaces are made as root (commands run as root, or before dropping it)
     */
    static Check userNamespaces(boolean privileged, Optional<String> maxText, Optional<String> debian, Optional<String> apparmor) {
        Optional<Long> max = maxText.map(String::strip).flatMap(text -> {
            try {
                return Optional.of(Long.parseLong(text));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
        if (max.isPresent() && max.get() <= 0) {
            return new Check(false, "user.max_user_namespaces = " + max.get());
        }
        if (!privileged && debian.map(String::strip).filter("0"::equals).isPresent()) {
            return new Check(false, "kernel.unprivileged_userns_clone = 0");
        }
        if (!privileged && apparmor.map(String::strip).filter("1"::equals).isPresent()) {
            return new Check(false, "kernel.apparmor_restrict_unprivileged_userns = 1");
        }
        return new Check(true, "allowed (user.max_user_namespaces = " + max.map(String::valueOf).orElse("unknown")
                + debian.map(v -> ", kernel.unprivileged_userns_clone = " + v.strip()).orElse("") + (privileged ? ", for root" : "") + ")");
    }

    /**
     * Runs bubblewrap once the way Kavach will; returns why it failed, or empty when it worked. A success is
     * remembered across runs, keyed by the programs involved, this user, the kernel and boot, and the
     * sysctls that govern user namespaces; a failure is tried again next time.
     */
    private static Optional<String> trialRun(HostProbeCache cache, Path bwrap, List<String> dropTo) {
        Optional<Path> trueBinary = HostTools.find("true", "/usr/bin:/bin");
        if (trueBinary.isEmpty()) {
            return Optional.of("no 'true' binary to try bubblewrap with");
        }
        List<String> argv = new java.util.ArrayList<>(dropTo);
        // Every feature Kavach relies on (--disable-userns and --size need bubblewrap 0.8), so an older one fails here, once.
        argv.addAll(List.of(bwrap.toString(), "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
                "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--size", "1048576", "--tmpfs", "/tmp", "--",
                trueBinary.get().toString()));
        List<String> question = new java.util.ArrayList<>(argv);
        for (String sysctl : USER_NAMESPACE_SYSCTLS) {
            question.add(sysctl + "=" + HostTools.read(Path.of(sysctl)).orElse("absent"));
        }
        List<Path> programs = new java.util.ArrayList<>(List.of(bwrap, trueBinary.get()));
        if (!dropTo.isEmpty()) {
            programs.add(Path.of(dropTo.get(0)));
        }
        String[] failure = new String[1];
        Optional<String> worked = cache.answer(question, programs, () -> {
            failure[0] = trialFailure(bwrap, argv).orElse(null);
            return failure[0] == null ? Optional.of("works") : Optional.empty();
        });
        return worked.isPresent() ? Optional.empty() : Optional.of(failure[0]);
    }

    /** The files whose values decide whether an unprivileged user may make user namespaces. */
    private static final List<String> USER_NAMESPACE_SYSCTLS = List.of("/proc/sys/user/max_user_namespaces",
            "/proc/sys/kernel/unprivileged_userns_clone", "/proc/sys/kernel/apparmor_restrict_unprivileged_userns");

    private static Optional<String> trialFailure(Path bwrap, List<String> argv) {
        Optional<HostTools.Run> run = HostTools.run(argv);
        if (run.isEmpty()) {
            return Optional.of("could not run " + bwrap);
        }
        if (run.get().exitCode() != 0) {
            return Optional.of("a trial run exited with " + run.get().exitCode() + ": " + run.get().firstLine()
                    + " (Kavach needs bubblewrap 0.8 or later)");
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
