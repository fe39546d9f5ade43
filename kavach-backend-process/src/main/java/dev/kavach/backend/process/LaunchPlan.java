package dev.kavach.backend.process;

import dev.kavach.api.Enforcement;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Everything decided before one exec starts: the exact host argv, bubblewrap's options (handed over on a
 * private descriptor, so that nothing in them, the command's environment above all, is visible in any
 * process's argv), the cgroups to create, and which mechanism enforces each part of the policy.
 *
 * @param argv         the host command line: the launcher shell, setpriv (as root), {@code bwrap --args 4},
 *                     then the command as given
 * @param bwrapOptions bubblewrap's options, written NUL-separated to {@code argsFile}
 * @param env          the environment of the trusted launcher programs (never the request's)
 * @param commandEnv   the environment the command itself receives (set by bubblewrap, from the options)
 * @param statusFile   Kavach's private file for the launcher's and bubblewrap's status (fd 5)
 * @param argsFile     the private file holding {@code bwrapOptions} (fd 4)
 * @param scratch      whether the work directory is a private size-capped tmpfs rather than a host directory
 * @param cgroup       the cgroups to create, or {@code null} for none
 * @param enforcement  which mechanism enforces each part of the policy
 */
record LaunchPlan(List<String> argv, List<String> bwrapOptions, Map<String, String> env, Map<String, String> commandEnv,
                  Path statusFile, Path argsFile, boolean scratch, CgroupPlan cgroup, List<Enforcement> enforcement) {
    LaunchPlan {
        argv = List.copyOf(requireNonNull(argv, "argv is null"));
        bwrapOptions = List.copyOf(requireNonNull(bwrapOptions, "bwrapOptions is null"));
        env = Map.copyOf(requireNonNull(env, "env is null"));
        commandEnv = Map.copyOf(requireNonNull(commandEnv, "commandEnv is null"));
        requireNonNull(statusFile, "statusFile is null");
        requireNonNull(argsFile, "argsFile is null");
        enforcement = List.copyOf(requireNonNull(enforcement, "enforcement is null"));
    }

    /**
     * bubblewrap's options for a debug log: the value of every {@code --setenv} replaced, since the request's
     * environment may hold secrets (it travels in the private {@code --args} file, never in an argv, for that reason).
     */
    List<String> loggableOptions() {
        List<String> out = new java.util.ArrayList<>(bwrapOptions);
        for (int i = 0; i + 2 < out.size(); i++) {
            if (out.get(i).equals("--setenv")) {
                out.set(i + 2, "<redacted>");
                i += 2;
            }
        }
        return out;
    }

    /** The argv with the options written where {@code --args 4} stands: the equivalent command line, for --dry-run. */
    List<String> equivalentArgv() {
        int at = argv.indexOf("--args");
        if (at < 0) {
            return argv;
        }
        List<String> out = new java.util.ArrayList<>(argv.subList(0, at));
        out.addAll(bwrapOptions);
        out.addAll(argv.subList(at + 2, argv.size()));
        return List.copyOf(out);
    }
}
