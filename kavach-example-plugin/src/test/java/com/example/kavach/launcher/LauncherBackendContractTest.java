package com.example.kavach.launcher;

import dev.kavach.api.BackendProvider;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.testkit.BackendContractTest;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The whole backend contract, run against the example plugin with its default launcher ({@code env --}). */
class LauncherBackendContractTest extends BackendContractTest {
    @Override
    protected BackendProvider provider() {
        return new LauncherBackendProvider();
    }

    @Override
    protected BackendSettings settings() {
        return new BackendSettings("kavach.backends.launcher", Map.of(), Map.of("command", List.of("env", "--"), "enforces", List.of()), Map.of());
    }

    @Override
    protected Optional<SandboxPolicy> unenforceablePolicy() {
        return Optional.of(SandboxPolicy.basic()); // network off: `env` cannot cut the network
    }
}
