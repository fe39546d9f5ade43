package com.example.kavach.launcher;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendInfo;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.IsolationKind;
import dev.kavach.api.ProbeCheck;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.process.ProgramLookup;
import org.apache.commons.lang3.SystemUtils;

import java.nio.file.Path;

/** The entry point Kavach finds: describes, probes and creates the launcher backend. */
public final class LauncherBackendProvider implements BackendProvider {
    @Override
    public BackendInfo info() {
        return new BackendInfo("launcher", "Launcher prefix (example plugin)", IsolationKind.NONE, 1,
                "Runs each command under a configurable launcher such as firejail or bwrap; an example plugin.");
    }

    @Override
    public Availability probe(BackendContext context) {
        LauncherSettings settings = LauncherSettings.from(context.settings());
        String launcher = settings.command().get(0);
        ProgramLookup found = ProgramLookup.find(launcher, System.getenv().getOrDefault("PATH", ""), Path.of("/"));
        return Availability.of(
                SystemUtils.IS_OS_LINUX ? ProbeCheck.ok("linux", SystemUtils.OS_NAME + " " + SystemUtils.OS_VERSION)
                        : ProbeCheck.missing("linux", "this is " + SystemUtils.OS_NAME + "; the kit's tree kill needs Linux", "run on Linux"),
                found.found() ? ProbeCheck.ok("launcher", launcher + " at " + found.path())
                        : ProbeCheck.missing("launcher", found.message(), "install " + launcher + " or set kavach.backends.launcher.command"));
    }

    @Override
    public SandboxBackend create(BackendContext context) {
        return new LauncherBackend(LauncherSettings.from(context.settings()));
    }
}
