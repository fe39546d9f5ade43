package dev.kavach.testkit;

import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/** The kit has teeth: a backend that skips the program check, the policy check and the output limit fails exactly those checks. */
class BackendContractKitTest {
    @Test
    void aNaiveBackendFailsTheChecksItGetsWrongAndPassesTheRest() {
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request().selectors(selectClass(NaiveBackendContract.class)).build(), listener);
        TestExecutionSummary summary = listener.getSummary();
        Set<String> failed = summary.getFailures().stream()
                .map(failure -> failure.getTestIdentifier().getDisplayName().replaceAll("\\(.*", ""))
                .collect(Collectors.toSet());
        assertEquals(Set.of("aMissingProgramFailsToStartWhileAProgramsOwn127Completes", "anUnenforceablePolicyIsRefusedBeforeAnythingStarts",
                "outputBeyondTheLimitIsDrainedCountedAndDropped"), failed, "failures: " + summary.getFailures());
        assertEquals(15, summary.getTestsFoundCount());
        // The six checks of sessions and files do not apply to a backend that declares neither capability.
        assertEquals(6, summary.getTestsAbortedCount());
        assertEquals(0, summary.getTestsSkippedCount());
    }
}
