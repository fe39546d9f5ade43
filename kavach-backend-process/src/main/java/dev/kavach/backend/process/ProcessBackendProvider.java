package dev.kavach.backend.process;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendInfo;
import dev.kavach.api.Capability;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.BackendUnavailableException;
import dev.kavach.api.IsolationKind;
import dev.kavach.api.ProbeCheck;
import dev.kavach.api.SandboxBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The built-in {@code process} backend: the command runs as a host process, isolated by bubblewrap's
 * namespaces, cgroup limits, rlimits and a seccomp filter as its policy asks. Available wherever bubblewrap
 * can make a sandbox; each missing optional layer (cgroup controllers, seccomp) is a check, and a policy
 * needing it fails before the command starts.
 */
public final class ProcessBackendProvider implements BackendProvider {
    public static final String ID = "process";
    private static final Logger LOG = LoggerFactory.getLogger(ProcessBackendProvider.class);
    private static final BackendInfo INFO = new BackendInfo(ID, "Host process with Linux isolation", IsolationKind.PROCESS, 100,
            "Runs the command as a host process inside namespaces, cgroup limits, rlimits and a seccomp filter.")
            .withCapabilities(Capability.SESSIONS, Capability.FILES);

    /** How long a probe's host facts serve the {@link #create} that follows it (the selection probes, then creates). */
    private static final long PROBE_FRESH_NANOS = 10_000_000_000L;

    /** The last probe's facts, for the create that follows: probing twice was a tenth of a short run's start-up. */
    private volatile Probed lastProbe;

    private record Probed(ProcessBackendSettings settings, HostFacts facts, long at) {
        boolean serves(ProcessBackendSettings wanted) {
            return settings.equals(wanted) && System.nanoTime() - at < PROBE_FRESH_NANOS;
        }
    }

    @Override
    public BackendInfo info() {
        return INFO;
    }

    @Override
    public Availability probe(BackendContext context) {
        ProcessBackendSettings settings = ProcessBackendSettings.from(context.settings());
        HostFacts facts = HostFacts.detect(settings);
        lastProbe = new Probed(settings, facts, System.nanoTime());
        Availability availability = availability(settings, facts);
        if (LOG.isDebugEnabled()) {
            availability.checks().forEach(check -> LOG.debug("probe {}: {} ({}){}", check.name(), check.passed() ? "ok" : check.required()
                    ? "MISSING" : "unavailable", check.detail(), check.passed() || check.fix().isEmpty() ? "" : "; fix: " + check.fix()));
        }
        return availability;
    }

    @Override
    public SandboxBackend create(BackendContext context) {
        ProcessBackendSettings settings = ProcessBackendSettings.from(context.settings());
        Probed probed = lastProbe;
        HostFacts facts = probed != null && probed.serves(settings) ? probed.facts() : HostFacts.detect(settings);
        lastProbe = null; // a later create probes again: the host may have changed (bubblewrap installed, a cgroup moved)
        Availability availability = availability(settings, facts);
        if (!availability.available()) {
            throw new BackendUnavailableException(ID, availability, List.of());
        }
        return new ProcessSandboxBackend(settings, facts);
    }

    static Availability availability(ProcessBackendSettings settings, HostFacts facts) {
        List<ProbeCheck> checks = new ArrayList<>();
        checks.add(facts.shell().isPresent()
                ? ProbeCheck.ok("launcher shell", "POSIX shell at " + facts.shell().get())
                : ProbeCheck.missing("launcher shell", "no executable shell at " + settings.shell(),
                "install a POSIX shell (dash or bash) or set kavach.backends.process.shell"));

        String installBwrap = LaunchPlanner.INSTALL_BWRAP;
        if (facts.bwrap().isEmpty()) {
            checks.add(ProbeCheck.missing("bubblewrap", "'" + settings.bwrap() + "' not found; every command runs inside bubblewrap", installBwrap));
        } else if (!facts.bwrapWorks()) {
            checks.add(ProbeCheck.missing("bubblewrap", facts.bwrapVersion() + " at " + facts.bwrap().get()
                    + " cannot make a sandbox here: " + facts.bwrapError(), UserNamespaceFix.forThisHost(facts.bwrap())));
        } else {
            checks.add(ProbeCheck.ok("bubblewrap", facts.bwrapVersion() + " at " + facts.bwrap().get() + ": user, pid, mount, ipc, uts, "
                    + "cgroup and (without network) net namespaces, a new session, private /tmp, /var/tmp, /dev/shm and /run/lock"));
        }
        checks.add(ProbeCheck.optional("user namespaces", facts.root() || facts.userNamespaces().ok(), facts.userNamespaces().detail(),
                UserNamespaceFix.forThisHost(facts.bwrap())));
        checks.add(runAsCheck(settings, facts));

        CgroupHost cgroups = facts.cgroups();
        // The fix names exactly what is missing: root's mounts, a delegated cgroup (systemd-run, Delegate=yes) or a controller
        // the user's systemd manager does not delegate.
        List<String> unlimited = CgroupHost.LIMIT_CONTROLLERS.stream().filter(c -> !cgroups.canLimit(c)).toList();
        checks.add(ProbeCheck.optional("cgroups", cgroups.canTrackTree(), cgroups.describe(),
                CgroupFix.forMissing(cgroups, unlimited.isEmpty() ? CgroupHost.LIMIT_CONTROLLERS : unlimited)
                        + " (without one, policies with memory, pids or CPU limits, the basic and strict presets among them, are refused)"));
        for (String controller : CgroupHost.LIMIT_CONTROLLERS) {
            String how = cgroups.v2().isPresent() && cgroups.v2Controllers().contains(controller) ? "cgroup v2 (" + cgroups.v2().get() + ")"
                    : cgroups.v1().containsKey(controller) ? "cgroup v1 (" + cgroups.v1().get(controller) + ")" : null;
            checks.add(ProbeCheck.optional(controller + " limit", how != null,
                    how != null ? "enforced by " + how : "no writable " + controller + " controller; policies limiting it fail before the command starts",
                    CgroupFix.forMissing(cgroups, List.of(controller))));
        }
        checks.add(ProbeCheck.optional("rlimits", facts.shell().isPresent(), "open files and file size via setrlimit in the launcher", ""));
        checks.add(ProbeCheck.optional("disk", true, "private tmpfs /tmp, /var/tmp, /dev/shm, /run/lock and scratch work directory, each capped at "
                + settings.scratchSize() / (1024 * 1024) + " MiB (kavach.backends.process.scratch-size)", ""));
        boolean seccomp = facts.seccompUsable();
        String seccompDetail = !facts.seccomp() ? "the kernel has no seccomp support"
                : !facts.x86_64() ? "Kavach's BPF programs target x86_64; this is " + System.getProperty("os.arch")
                : !facts.bwrapUsable() ? "needs bubblewrap to install the filter"
                : "kernel seccomp filters, installed by bwrap --seccomp (profiles basic and strict)";
        checks.add(ProbeCheck.optional("seccomp", seccomp, seccompDetail,
                !facts.bwrapUsable() ? installBwrap : "use a kernel with CONFIG_SECCOMP_FILTER on x86_64"));
        return new Availability(checks);
    }

    /** Which user commands run as; required, since every exec would fail without it. */
    private static ProbeCheck runAsCheck(ProcessBackendSettings settings, HostFacts facts) {
        // A run-as naming no user is the user's configuration error: the host reports it as one line.
        RunAs runAs = RunAs.resolve(settings.runAs());
        if (runAs.dropFromRoot() && facts.setpriv().isEmpty()) {
            return ProbeCheck.missing("run as", "commands must run as " + runAs.name() + " (uid " + runAs.uid()
                    + "), but setpriv is missing to drop root", "apt-get install util-linux, or set " + RunAs.KEY + " = root");
        }
        return ProbeCheck.ok("run as", runAs.describe(settings.idRange()));
    }
}
