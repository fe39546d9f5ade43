package dev.kavach.backend.process;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.ProbeCheck;
import dev.kavach.api.SandboxPolicy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A normal user's Kavach on cgroup v2 finds the cgroup systemd delegated to it, as {@code Delegate=yes} leaves it,
 * without configuration; and where it has none, it refuses limits with the exact fix. The hierarchy is a fake tree
 * in a temporary directory changed under the kernel's rules ({@link FakeCgroupKernel}); the real one is exercised
 * by the QEMU guest harness, where Kavach runs as uid 1000 in a cgroup delegated to it.
 */
class DelegatedCgroupTest {
    private static final long KAVACH = 4242;
    private static final long SHELL = 977;
    /** The launcher's background class-data training: a shell Kavach's process forked before it became Java, and its JVM. */
    private static final long TRAINER_SHELL = 4250;
    private static final long TRAINER_JVM = 4251;
    private static final Map<Long, Long> PARENT = Map.of(SHELL, 1L, KAVACH, SHELL, TRAINER_SHELL, KAVACH, TRAINER_JVM, TRAINER_SHELL);
    private static final LongUnaryOperator PARENTS = pid -> PARENT.getOrDefault(pid, -1L);
    private static final String SCOPE = "/user.slice/user-1000.slice/user@1000.service/app.slice/run-u7.scope";
    private static final String ALL = "cpuset cpu io memory hugetlb pids rdma misc";
    private static final SandboxPolicy LIMITED = SandboxPolicy.minimal().withMemoryMiB(64).withMaxPids(32).withCpus(0.5);

    @TempDir
    Path dir;
    private Path mount;
    private Path v1Root;
    private FakeCgroupKernel kernel;

    @BeforeEach
    void mountAFakeCgroup2() throws IOException {
        mount = dir.resolve("sys fs cgroup"); // a space, as mountinfo escapes it
        v1Root = Files.createDirectories(dir.resolve("no-v1"));
        kernel = new FakeCgroupKernel(mount);
        kernel.group("/", ALL, 1);
        // The user manager's slices enable what user@.service delegates; the root enables everything.
        for (String slice : List.of("/user.slice", "/user.slice/user-1000.slice", "/user.slice/user-1000.slice/user@1000.service",
                "/user.slice/user-1000.slice/user@1000.service/app.slice")) {
            kernel.group(slice, "cpu memory pids");
        }
    }

    private String mountinfo() {
        return "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
                + "25 22 0:22 / /proc rw,nosuid shared:12 - proc proc rw\n"
                + "30 22 0:27 / " + mount.toString().replace(" ", "\\040") + " rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
    }

    private static String procCgroup(String path) {
        return "0::" + path + "\n";
    }

    /** Gives {@code group} to a user as systemd's Delegate=yes does (chown of the group and three files); returns that uid. */
    private static int delegate(Path group) throws IOException {
        int me = HostTools.ids().uid();
        if (me != 0) {
            return me; // a normal user's test made the files: they are its own already
        }
        for (Path path : List.of(group, group.resolve("cgroup.procs"), group.resolve("cgroup.subtree_control"), group.resolve("cgroup.threads"))) {
            Files.setAttribute(path, "unix:uid", 1000);
        }
        return 1000;
    }

    /** A user other than the owner of what this test made: the group is not theirs. */
    private static int someoneElse() {
        int me = HostTools.ids().uid();
        return me == 0 ? 1000 : me + 1;
    }

    @Test
    void aDelegatedCgroupWithOnlyKavachInItIsUsedAfterKavachMovesItselfIntoALeaf() throws IOException {
        Path scope = kernel.group(SCOPE, "cpu memory pids", KAVACH);
        int uid = delegate(scope);
        CgroupHost host = CgroupHost.detect(v1Root, mountinfo(), procCgroup(SCOPE), uid, KAVACH, PARENTS);
        assertEquals(Optional.of(scope), host.v2(), host::describe);
        assertEquals(Set.of("cpu", "memory", "pids"), host.v2Controllers());
        assertEquals(OwnCgroup.State.DELEGATED, host.own().orElseThrow().state());
        assertTrue(host.describe().contains("is delegated to uid " + uid), host.describe());

        KavachCgroups cgroups = KavachCgroups.prepare(host, "kavach", kernel);
        String s = SCOPE;
        // Kavach moves only itself, before it enables controllers: the kernel refuses them to a group with a process.
        assertEquals(List.of("mkdir " + s + "/kavach-supervisor", KAVACH + " > " + s + "/kavach-supervisor/cgroup.procs",
                "mkdir " + s + "/kavach",
                "+memory > " + s + "/cgroup.subtree_control", "+memory > " + s + "/kavach/cgroup.subtree_control",
                "+pids > " + s + "/cgroup.subtree_control", "+pids > " + s + "/kavach/cgroup.subtree_control",
                "+cpu > " + s + "/cgroup.subtree_control", "+cpu > " + s + "/kavach/cgroup.subtree_control"), kernel.log);
        assertEquals(List.of(), kernel.procs(scope));
        assertEquals(List.of(Long.toString(KAVACH)), kernel.procs(scope.resolve("kavach-supervisor")));
        assertEquals(Set.of("memory", "pids", "cpu"), kernel.subtreeControl(scope.resolve("kavach")));

        cgroups.checkEnforceable(LIMITED);
        CgroupPlan plan = cgroups.plan("k4242-1", LIMITED, false);
        assertEquals(scope.resolve("kavach/k4242-1"), plan.v2Dir());
        assertEquals(List.of("memory.max", "memory.swap.max", "pids.max", "cpu.max"),
                plan.writes().stream().map(w -> w.file().getFileName().toString()).toList());
        assertTrue(plan.enforcement().stream().allMatch(e -> e.mechanism().startsWith("cgroup v2")), plan.enforcement()::toString);
    }

    @Test
    void kavachsOwnDescendantsMoveWithItButTheShellThatStartedItIsNotKavachs() throws IOException {
        Path scope = kernel.group(SCOPE, "cpu memory pids", KAVACH, TRAINER_SHELL, TRAINER_JVM);
        int uid = delegate(scope);
        CgroupHost host = CgroupHost.detect(v1Root, mountinfo(), procCgroup(SCOPE), uid, KAVACH, PARENTS);
        assertEquals(OwnCgroup.State.DELEGATED, host.own().orElseThrow().state(), host::describe);
        KavachCgroups.prepare(host, "kavach", kernel).checkEnforceable(LIMITED);
        assertEquals(List.of(), kernel.procs(scope));
        assertEquals(List.of(KAVACH, TRAINER_SHELL, TRAINER_JVM).stream().map(String::valueOf).toList(),
                kernel.procs(scope.resolve("kavach-supervisor")));
        assertFalse(OwnCgroup.isKavachs(SHELL, KAVACH, PARENTS), "its parent is not Kavach's");
    }

    @Test
    void aSecondBackendInTheSameProcessFindsKavachInItsLeafAndMovesNothing() throws IOException {
        Path scope = kernel.group(SCOPE, "cpu memory pids", KAVACH);
        int uid = delegate(scope);
        KavachCgroups.prepare(CgroupHost.detect(v1Root, mountinfo(), procCgroup(SCOPE), uid, KAVACH, PARENTS), "kavach", kernel);
        kernel.log.clear();

        CgroupHost again = CgroupHost.detect(v1Root, mountinfo(), procCgroup(SCOPE + "/kavach-supervisor"), uid, KAVACH, PARENTS);
        assertEquals(OwnCgroup.State.IN_LEAF, again.own().orElseThrow().state());
        assertEquals(Optional.of(scope), again.v2(), "its groups stay beside the leaf, not below it");
        KavachCgroups.prepare(again, "kavach", kernel).checkEnforceable(LIMITED);
        assertTrue(kernel.log.stream().noneMatch(line -> line.contains("cgroup.procs")), kernel.log::toString);
    }

    @Test
    void aCgroupSharedWithTheShellIsNotUsedAndTheRefusalNamesSystemdRun() throws IOException {
        Path scope = kernel.group(SCOPE, "cpu memory pids", SHELL, KAVACH);
        int uid = delegate(scope);
        CgroupHost host = CgroupHost.detect(v1Root, mountinfo(), procCgroup(SCOPE), uid, KAVACH, PARENTS);
        assertEquals(OwnCgroup.State.SHARED, host.own().orElseThrow().state());
        assertEquals(Optional.empty(), host.v2());

        KavachCgroups cgroups = KavachCgroups.prepare(host, "kavach", kernel);
        assertEquals(List.of(), kernel.log, "the shell is not Kavach's to move, and nothing is made where it lives");
        assertEquals(List.of(Long.toString(SHELL), Long.toString(KAVACH)), kernel.procs(scope));
        PolicyNotEnforceableException e = assertThrows(PolicyNotEnforceableException.class, () -> cgroups.checkEnforceable(LIMITED));
        assertTrue(e.getMessage().contains("1 other process"), e.getMessage());
        assertTrue(e.fix().contains("`systemd-run --user --scope -p Delegate=yes -- ./kavach run ...`"), e.fix());
        assertTrue(e.fix().contains("`Delegate=yes` in the [Service] section"), e.fix());
    }

    @Test
    void aCgroupNotDelegatedToThisUserIsNotTouchedAndTheRefusalNamesSystemdRun() throws IOException {
        String session = "/user.slice/user-1000.slice/session-2.scope";
        kernel.group(session, "cpu memory pids", KAVACH);
        CgroupHost host = CgroupHost.detect(v1Root, mountinfo(), procCgroup(session), someoneElse(), KAVACH, PARENTS);
        assertEquals(OwnCgroup.State.NOT_DELEGATED, host.own().orElseThrow().state());
        assertEquals(Optional.empty(), host.v2());
        assertFalse(host.canTrackTree());

        KavachCgroups cgroups = KavachCgroups.prepare(host, "kavach", kernel);
        assertEquals(List.of(), kernel.log);
        PolicyNotEnforceableException e = assertThrows(PolicyNotEnforceableException.class,
                () -> cgroups.checkEnforceable(SandboxPolicy.minimal().withMaxPids(32)));
        assertTrue(e.getMessage().contains("is not delegated to uid " + someoneElse()), e.getMessage());
        assertTrue(e.fix().startsWith("start Kavach in a cgroup delegated to it: `systemd-run --user --scope -p Delegate=yes -- ./kavach run ...`"), e.fix());
    }

    @Test
    void aControllerTheUserManagerDoesNotDelegateIsRefusedWithTheDropInThatAddsIt() throws IOException {
        // Debian 12's user@.service delegates memory and pids to the user manager, not cpu.
        for (String slice : List.of("/user.slice/user-1000.slice/user@1000.service", "/user.slice/user-1000.slice/user@1000.service/app.slice")) {
            Files.writeString(mount.resolve(slice.substring(1)).resolve("cgroup.controllers"), "memory pids\n");
        }
        Path scope = kernel.group(SCOPE, "memory pids", KAVACH);
        int uid = delegate(scope);
        CgroupHost host = CgroupHost.detect(v1Root, mountinfo(), procCgroup(SCOPE), uid, KAVACH, PARENTS);
        KavachCgroups cgroups = KavachCgroups.prepare(host, "kavach", kernel);
        assertTrue(kernel.log.stream().noneMatch(line -> line.startsWith("+cpu")), "only what cgroup.controllers offers: " + kernel.log);
        cgroups.checkEnforceable(SandboxPolicy.minimal().withMemoryMiB(64).withMaxPids(32));

        PolicyNotEnforceableException e = assertThrows(PolicyNotEnforceableException.class, () -> cgroups.checkEnforceable(LIMITED));
        assertTrue(e.getMessage().contains("CPU limit (0.5 cores) needs the cpu controller"), e.getMessage());
        assertFalse(e.getMessage().contains("memory limit"), e.getMessage());
        assertEquals("this user's systemd manager delegates only [memory pids], not cpu: run `sudo systemctl edit user@.service`, add the "
                + "lines `[Service]` and `Delegate=pids memory cpu`, then log out and back in; or drop the limit from the policy", e.fix());
    }

    @Test
    void aServiceThatDelegatesTooLittleIsToldToSayDelegateYes() throws IOException {
        kernel.group("/system.slice", "cpu memory pids");
        Path service = kernel.group("/system.slice/kavach.service", "memory", KAVACH);
        int uid = delegate(service);
        CgroupHost host = CgroupHost.detect(v1Root, mountinfo(), procCgroup("/system.slice/kavach.service"), uid, KAVACH, PARENTS);
        String fix = CgroupFix.forMissing(host, List.of("pids"));
        assertTrue(fix.startsWith("the systemd unit that runs Kavach delegates only [memory], not pids: set `Delegate=yes` in its [Service] section"), fix);
    }

    @Test
    void aHybridHostWhoseControllersAreCgroupV1TellsANormalUserThatOnlyRootCanUseThem() throws IOException {
        Files.writeString(mount.resolve("cgroup.controllers"), "hugetlb\n");
        Path scope = kernel.group(SCOPE, "", KAVACH);
        CgroupHost host = CgroupHost.detect(v1Root, mountinfo(), procCgroup(SCOPE), delegate(scope), KAVACH, PARENTS);
        String fix = CgroupFix.forMissing(host, List.of("memory"));
        assertTrue(fix.startsWith("this host has the memory controller only in cgroup v1, which is for root: run Kavach as root"), fix);
        String all = CgroupFix.forMissing(host, List.of("pids", "memory", "cpu"));
        assertTrue(all.startsWith("this host has the cpu, memory and pids controllers only in cgroup v1"), all);
    }

    @Test
    void rootBuildsAtTheTopOfTheMountAsBeforeAndMovesNothing() throws IOException {
        kernel.group("/user.slice/user-0.slice/session-1.scope", "cpu memory pids", KAVACH);
        CgroupHost host = CgroupHost.detect(v1Root, mountinfo(), procCgroup("/user.slice/user-0.slice/session-1.scope"), 0, KAVACH, PARENTS);
        assertEquals(Optional.of(mount), host.v2());
        assertEquals(Optional.empty(), host.own());
        KavachCgroups.prepare(host, "kavach", kernel);
        assertTrue(kernel.log.stream().noneMatch(line -> line.contains("cgroup.procs")), kernel.log::toString);
        assertTrue(kernel.log.contains("mkdir /kavach"), kernel.log::toString);
    }

    @Test
    void aConfiguredCgroupRootOverridesWhatKavachWouldFind() throws IOException {
        kernel.group(SCOPE, "cpu memory pids", SHELL, KAVACH);
        Path mine = kernel.group("/user.slice/user-1000.slice/user@1000.service/app.slice/kavach-jobs.slice", "cpu memory pids");
        ProcessBackendSettings settings = ProcessBackendSettings.from(BackendSettings.of("kavach.backends.process",
                Map.of("cgroup-root", mine.toString())));
        assertTrue(settings.cgroupRootSet());
        CgroupHost host = CgroupHost.detect(settings);
        assertTrue(host.configured());
        assertEquals(Optional.of(mine), host.v2(), host::describe);
        assertEquals(Optional.empty(), host.own(), "Kavach's own cgroup (shared with a shell here) is not looked at");
        assertFalse(ProcessBackendSettings.defaults().cgroupRootSet());

        Path empty = Files.createDirectories(dir.resolve("empty"));
        CgroupHost none = CgroupHost.detect(empty, someoneElse());
        assertTrue(CgroupFix.forMissing(none, List.of("memory")).startsWith("point kavach.backends.process.cgroup-root (now " + empty
                + ") at a cgroup v2 group delegated to uid " + someoneElse()), CgroupFix.forMissing(none, List.of("memory")));
    }

    @Test
    void aConfiguredRootThatHoldsProcessesIsRefusedNamingTheKernelsRuleAndTheMove() throws IOException {
        // What the cgroup v2 guest found: cgroup-root named the scope that holds Kavach and the shell that started it.
        Path scope = kernel.group(SCOPE, "cpu memory pids", SHELL, KAVACH);
        CgroupHost host = CgroupHost.detect(scope, someoneElse()); // as kavach.backends.process.cgroup-root, for a normal user
        assertTrue(host.configured());
        String fix = CgroupFix.forMissing(host, List.of("memory", "pids"));
        assertTrue(fix.startsWith("cgroup v2 gives no memory and pids controllers to the children of a group that holds processes"), fix);
        assertTrue(fix.contains("holds 2"), fix);
        assertTrue(fix.contains("mkdir " + scope + "/shell && echo $$ > " + scope + "/shell/cgroup.procs"), fix);
    }

    @Test
    void theProbeNamesTheSameFixForEachLimitItCannotEnforce() throws IOException {
        Path scope = kernel.group(SCOPE, "cpu memory pids", SHELL, KAVACH);
        CgroupHost host = CgroupHost.detect(v1Root, mountinfo(), procCgroup(SCOPE), delegate(scope), KAVACH, PARENTS);
        HostFacts facts = new HostFacts(Optional.of(Path.of("/bin/sh")), Optional.empty(), "", false, "", Optional.empty(), false, false,
                new HostFacts.Check(true, "allowed"), host, true, true);
        Availability availability = ProcessBackendProvider.availability(ProcessBackendSettings.defaults(), facts);
        for (String name : List.of("cgroups", "memory limit", "pids limit", "cpu limit")) {
            ProbeCheck check = availability.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
            assertFalse(check.passed(), check::toString);
            assertTrue(check.fix().contains("systemd-run --user --scope -p Delegate=yes -- ./kavach run"), check::fix);
        }
        ProbeCheck cgroups = availability.checks().stream().filter(c -> c.name().equals("cgroups")).findFirst().orElseThrow();
        assertTrue(cgroups.detail().contains("1 other process"), cgroups.detail());
    }

    @Test
    void theCgroup2MountIsFoundInTheMountTableWithEscapesAndBindMountedSubtrees() {
        String info = "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
                + "41 30 0:37 /user.slice /srv/my\\040cgroups rw,relatime shared:3 - cgroup2 cgroup2 rw\n";
        Optional<String> own = Cgroup2Mount.ownPath("12:pids:/user.slice\n1:name=systemd:/user.slice\n0::/user.slice/u.scope\n");
        assertEquals(Optional.of("/user.slice/u.scope"), own);
        Cgroup2Mount first = Cgroup2Mount.find(info, own).orElseThrow();
        assertEquals(Path.of("/sys/fs/cgroup/unified/user.slice/u.scope"), first.resolve(own.get()).orElseThrow());
        Cgroup2Mount bind = new Cgroup2Mount(Path.of("/srv/my cgroups"), "/user.slice");
        assertEquals(Optional.of(bind), Cgroup2Mount.find(info.lines().skip(1).findFirst().orElseThrow(), own));
        assertEquals(Optional.of(Path.of("/srv/my cgroups/u.scope")), bind.resolve("/user.slice/u.scope"));
        assertEquals(Optional.empty(), bind.resolve("/user.slicex/u.scope"));
        assertEquals(Optional.empty(), first.resolve("/../outside"), "a group outside this cgroup namespace");
        assertEquals(Optional.empty(), Cgroup2Mount.find("25 22 0:22 / /proc rw - proc proc rw\n", own));
        assertEquals(Optional.empty(), Cgroup2Mount.ownPath("4:memory:/x\n"), "cgroup v1 only");
    }

    @Test
    void kavachsLeafNameCannotBeTheParentGroupsName() {
        assertThrows(dev.kavach.api.ConfigurationException.class, () -> ProcessBackendSettings.from(BackendSettings.of("kavach.backends.process",
                Map.of("cgroup-parent", OwnCgroup.SUPERVISOR_LEAF))));
    }
}
