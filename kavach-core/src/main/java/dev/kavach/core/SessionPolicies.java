package dev.kavach.core;

import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxPolicy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which parts of a {@link SandboxPolicy} a request in a session may change. A session is one sandbox: its
 * memory, CPUs, processes, network, file system, system call filter and transfer limit were fixed when it
 * opened. Only the timeout and the output limit belong to a single exec.
 */
final class SessionPolicies {
    /** The policy fields that apply to one exec rather than to the whole sandbox. */
    private static final Set<String> PER_EXEC = Set.of("timeout", "outputLimitBytes");

    private SessionPolicies() {
    }

    /**
     * @throws PolicyNotEnforceableException naming every sandbox-wide field in which {@code requested} differs
     *                                       from {@code session}
     */
    static void requireSandboxWideEqual(SandboxPolicy session, SandboxPolicy requested, String backendId) {
        List<String> differences = new ArrayList<>();
        for (RecordComponent component : SandboxPolicy.class.getRecordComponents()) {
            if (PER_EXEC.contains(component.getName())) {
                continue;
            }
            Object mine = value(component, session);
            Object theirs = value(component, requested);
            if (!Objects.equals(mine, theirs)) {
                differences.add(component.getName() + " " + theirs + " (the session has " + mine + ")");
            }
        }
        if (!differences.isEmpty()) {
            throw new PolicyNotEnforceableException("the request's policy differs from its session's in " + String.join(", ", differences)
                    + " on backend '" + backendId + "'; a session's sandbox was made with its policy, and only the timeout and the output "
                    + "limit can change per exec",
                    "build the request with session.policy() (request.withPolicy(session.policy().withTimeout(...))), or open another "
                            + "session with the policy you need");
        }
    }

    private static Object value(RecordComponent component, SandboxPolicy policy) {
        try {
            return component.getAccessor().invoke(policy);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + component.getName() + " of a SandboxPolicy", e);
        }
    }
}
