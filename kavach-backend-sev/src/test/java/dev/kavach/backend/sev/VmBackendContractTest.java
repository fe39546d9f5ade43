package dev.kavach.backend.sev;

import dev.kavach.api.BackendProvider;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.testkit.BackendContractTest;
import org.junit.jupiter.api.Tag;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The whole backend contract, sessions and files included, against the vm backend under TCG with the CI guest
 * kernel. Every test boots guests (seconds each here), hence slow. The state directory is the tests' shared one,
 * so the vmlinux and the agent image are built once.
 */
@Tag("slow")
class VmBackendContractTest extends BackendContractTest {
    @Override
    protected BackendProvider provider() {
        return new VmBackendProvider();
    }

    @Override
    protected BackendSettings settings() {
        BackendSettings tcg = VmPrerequisites.tcgSettings();
        Map<String, String> values = new HashMap<>();
        for (String key : tcg.keys()) {
            values.put(key, tcg.string(key, ""));
        }
        return BackendSettings.of("kavach.backends.vm", values);
    }

    /** More memory than max-memory (8G by default) allows: refused before a guest boots. */
    @Override
    protected Optional<SandboxPolicy> unenforceablePolicy() {
        return Optional.of(SandboxPolicy.minimal().withMemoryMiB(64 * 1024));
    }

    /** Commands run in a guest: the kit cannot look their processes up on this host. */
    @Override
    protected boolean runsOnHost() {
        return false;
    }
}
