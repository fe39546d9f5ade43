package dev.kavach.backend.process;

import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * The one fix for cgroup limits Kavach cannot enforce on this host, exact to the reason: root needs the
 * controllers mounted; a normal user needs a cgroup v2 group delegated to it (systemd's {@code Delegate=yes})
 * with Kavach alone in it, whose delegated controllers include the ones the policy needs.
 */
final class CgroupFix {
    static final String DROP_THE_LIMIT = "; or drop the limit from the policy";

    private CgroupFix() {
    }

    /** The fix for limits needing {@code missing} controllers (memory, pids, cpu). */
    static String forMissing(CgroupHost host, Collection<String> missing) {
        List<String> needed = List.copyOf(new TreeSet<>(missing));
        String names = (needed.size() == 1 ? needed.get(0) : String.join(", ", needed.subList(0, needed.size() - 1)) + " and " + needed.get(needed.size() - 1))
                + (needed.size() == 1 ? " controller" : " controllers");
        if (host.uid() == 0) {
            return "mount cgroup v2 with the " + names + " enabled (or cgroup v1 hierarchies for them) under " + host.root() + DROP_THE_LIMIT;
        }
        if (host.configured()) {
            long members = host.v2().flatMap(dir -> HostTools.read(dir.resolve("cgroup.procs"))).map(text -> text.lines().filter(l -> !l.isBlank()).count())
                    .orElse(0L);
            if (members > 0) {
                // The kernel's rule, not a missing delegation: a group holding processes gives no domain controller to its children.
                return "cgroup v2 gives no " + names + " to the children of a group that holds processes, and kavach.backends.process.cgroup-root ("
                        + host.root() + ") holds " + members + " (Kavach's own, and e.g. the shell that started it): move them into a child "
                        + "before starting Kavach (`mkdir " + host.root() + "/shell && echo $$ > " + host.root() + "/shell/cgroup.procs` in that shell), "
                        + "point cgroup-root at a group that holds none, or leave it unset so that Kavach uses the cgroup systemd delegates to it"
                        + DROP_THE_LIMIT;
            }
            return "point kavach.backends.process.cgroup-root (now " + host.root() + ") at a cgroup v2 group delegated to uid " + host.uid()
                    + " whose cgroup.controllers include " + String.join(" ", needed) + ", or leave it unset so that Kavach uses the cgroup "
                    + "systemd delegates to it" + DROP_THE_LIMIT;
        }
        if (host.v2Mount().isEmpty() || !host.v2HostControllers().containsAll(needed)) {
            return "this host has the " + names + " only in cgroup v1, which is for root: run Kavach as root, or boot with the unified "
                    + "cgroup v2 hierarchy (kernel option systemd.unified_cgroup_hierarchy=1)" + DROP_THE_LIMIT;
        }
        if (host.own().isPresent() && host.own().get().usable()) {
            OwnCgroup own = host.own().get();
            List<String> undelegated = needed.stream().filter(c -> !own.controllers().contains(c)).toList();
            String delegated = "[" + String.join(" ", new TreeSet<>(own.controllers())) + "]";
            if (undelegated.isEmpty()) {
                return "Kavach could not enable the " + names + " in " + own.base() + "/cgroup.subtree_control (run with -v for the reason); "
                        + "start Kavach again, alone in its cgroup" + DROP_THE_LIMIT;
            }
            if (own.underUserManager()) {
                return "this user's systemd manager delegates only " + delegated + ", not " + String.join(" ", undelegated)
                        + ": run `sudo systemctl edit user@.service`, add the lines `[Service]` and `Delegate=pids memory cpu`, then log out "
                        + "and back in" + DROP_THE_LIMIT;
            }
            return "the systemd unit that runs Kavach delegates only " + delegated + ", not " + String.join(" ", undelegated)
                    + ": set `Delegate=yes` in its [Service] section" + DROP_THE_LIMIT;
        }
        return "start Kavach in a cgroup delegated to it: `systemd-run --user --scope -p Delegate=yes -- ./kavach run ...` for the CLI "
                + "(./kavach does this by itself where systemd-run and the user's systemd manager are reachable), or `Delegate=yes` in the "
                + "[Service] section of the unit that runs Kavach" + DROP_THE_LIMIT;
    }
}
