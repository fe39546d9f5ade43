/**
 * The host-process kit: what every backend that runs its command as a host process needs, so that third
 * parties do not write it again (and get the tree kill wrong).
 *
 * <ul>
 * <li>{@link dev.kavach.api.process.ProcessRunner}: runs one host command line (an argv, never a shell
 *     string) to its end and returns the {@link dev.kavach.api.ExecResult}: checks the program exists
 *     (FAILED_TO_START with 127 or 126 otherwise), applies the environment rule, feeds stdin, pumps both
 *     streams within the output limit, enforces the deadline, kills the whole tree top-down and proves
 *     that nothing of it survived.</li>
 * <li>The pieces it is made of, usable alone: {@link dev.kavach.api.process.OutputPump},
 *     {@link dev.kavach.api.process.StdinFeeder}, {@link dev.kavach.api.process.TreeKill} (with
 *     {@link dev.kavach.api.process.TreeKillReport}), {@link dev.kavach.api.process.ProgramLookup},
 *     {@link dev.kavach.api.process.CommandEnvironment}, {@link dev.kavach.api.process.OwnedDirectory} (private
 *     directories that a later process sweeps once their owner died).</li>
 * <li>{@link dev.kavach.api.process.HostProbeCache}: remembers across runs what host programs answered a
 *     probe (a version, a trial sandbox that worked), keyed by the programs' identity, the user, the kernel
 *     and the boot, so that a short-lived {@code kavach} does not start them on every call.</li>
 * </ul>
 *
 * <p>Linux only: the tree kill reads {@code /proc} and signals through {@code /bin/sh}'s {@code kill}.
 * What the top-down kill cannot see is a process that left both the tree and the process group (a daemon
 * that calls {@code setsid} itself): a backend that must stop those runs its command in a cgroup or a PID
 * namespace and gives each launch a stronger kill ({@link dev.kavach.api.process.Launch.Builder#treeKill}):
 * {@link dev.kavach.api.process.TreeKill#cgroup}, alone or chained with its own through
 * {@link dev.kavach.api.process.TreeKill#andThen}, proved with
 * {@link dev.kavach.api.process.TreeKillReport#awaitGone}. The built-in {@code process} backend does exactly
 * that (the exec's cgroup, then bubblewrap's PID namespace).
 */
package dev.kavach.api.process;
