package dev.kavach.backend.process;

import dev.kavach.api.Enforcement;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Everything decided before one exec starts: the exact host argv, environment and directory, the cgroups
 * to create, and which mechanism enforces each part of the policy.
 *
 * @param argv         the host command line (launcher, bwrap or unshare, then the command as given)
 * @param env          the complete environment of the launched process (the trusted launcher's, unless the
 *                     command is launched directly)
 * @param commandEnv   the environment the command itself receives, handed over at the last hop
 * @param directory    the host working directory of the launched process
 * @param cgroup       the cgroups to create, or {@code null} for none
 * @param pidNamespace whether the command runs in its own PID namespace (killing its init kills all)
 * @param enforcement  which mechanism enforces each part of the policy
 */
record LaunchPlan(List<String> argv, Map<String, String> env, Map<String, String> commandEnv, Path directory, CgroupPlan cgroup,
                  boolean pidNamespace, List<Enforcement> enforcement) {
    LaunchPlan {
        argv = List.copyOf(requireNonNull(argv, "argv is null"));
        env = Map.copyOf(requireNonNull(env, "env is null"));
        commandEnv = Map.copyOf(requireNonNull(commandEnv, "commandEnv is null"));
        requireNonNull(directory, "directory is null");
        enforcement = List.copyOf(requireNonNull(enforcement, "enforcement is null"));
    }
}
