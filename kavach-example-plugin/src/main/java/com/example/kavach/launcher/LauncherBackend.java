package com.example.kavach.launcher;

import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.OutputListener;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SeccompProfile;
import dev.kavach.api.process.CommandWrapper;
import dev.kavach.api.process.ProcessRunner;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Refuses what its launcher does not enforce, then hands the exec to the kit's {@link ProcessRunner}
 * behind the launcher prefix. It has no process code of its own.
 */
final class LauncherBackend implements SandboxBackend {
    private final LauncherSettings settings;
    private final CommandWrapper wrapper;
    private final ProcessRunner runner = ProcessRunner.create();

    LauncherBackend(LauncherSettings settings) {
        this.settings = settings;
        this.wrapper = CommandWrapper.prefix(settings.command());
    }

    @Override
    public ExecResult exec(ExecRequest request, OutputListener listener) {
        List<String> asked = asked(request.policy());
        List<String> missing = asked.stream().filter(name -> !settings.enforces().contains(name)).toList();
        if (!missing.isEmpty()) {
            throw new PolicyNotEnforceableException("the launcher " + settings.command().get(0) + " does not enforce " + String.join(", ", missing)
                    + ", which the policy asks for; the command was not started",
                    "use a launcher that does and list it in kavach.backends.launcher.enforces, or relax the policy (e.g. --policy minimal)");
        }
        ExecResult result = runner.exec(request, listener, wrapper);
        List<Enforcement> notes = new ArrayList<>();
        for (String name : asked) {
            notes.add(Enforcement.of(name, "launcher " + String.join(" ", settings.command())));
        }
        return result.toBuilder().addEnforcement(notes.toArray(Enforcement[]::new)).build();
    }

    /** The parts of {@code policy} that need enforcing, by Enforcement name. */
    private static List<String> asked(SandboxPolicy policy) {
        List<String> asked = new ArrayList<>();
        if (!policy.network()) {
            asked.add(Enforcement.NETWORK);
        }
        if (policy.readOnlyRoot()) {
            asked.add(Enforcement.FILESYSTEM);
        }
        if (policy.seccomp() != SeccompProfile.NONE) {
            asked.add(Enforcement.SECCOMP);
        }
        if (policy.memoryMiB() > 0) {
            asked.add(Enforcement.MEMORY);
        }
        if (policy.maxPids() > 0) {
            asked.add(Enforcement.PIDS);
        }
        if (policy.cpus() > 0) {
            asked.add(Enforcement.CPU);
        }
        if (policy.maxOpenFiles() > 0) {
            asked.add(Enforcement.OPEN_FILES);
        }
        if (policy.maxFileSizeBytes() > 0) {
            asked.add(Enforcement.FILE_SIZE);
        }
        return asked;
    }

    @Override
    public Optional<List<String>> commandLine(ExecRequest request) {
        List<String> line = new ArrayList<>(settings.command());
        line.addAll(request.command().argv());
        return Optional.of(line);
    }

    @Override
    public void close() {
        runner.close();
    }
}
