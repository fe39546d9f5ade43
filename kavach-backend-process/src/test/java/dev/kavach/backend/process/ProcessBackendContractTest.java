package dev.kavach.backend.process;

import dev.kavach.api.BackendProvider;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.testkit.BackendContractTest;

import java.util.Optional;

/** The whole backend contract, sessions and files included, against the process backend with its defaults. */
class ProcessBackendContractTest extends BackendContractTest {
    @Override
    protected BackendProvider provider() {
        return new ProcessBackendProvider();
    }

    /** The command's pids are those of its own PID namespace, not the host's: the kit cannot look them up here. */
    @Override
    protected boolean runsOnHost() {
        return false;
    }

    @Override
    protected Optional<SandboxPolicy> unenforceablePolicy() {
        // Fewer open files than bubblewrap needs to set the sandbox up: refused on every host.
        return Optional.of(SandboxPolicy.minimal().withMaxOpenFiles(3));
    }
}
