package dev.kavach.core;

import dev.kavach.core.config.ClosestMatch;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** "Did you mean" suggestions: close typos are matched, unrelated words are not. */
class ClosestMatchTest {
    private static final List<String> KEYS = List.of("kavach.policy.memory", "kavach.policy.max-pids", "kavach.timeout");

    @Test
    void suggestsTheClosestPlausibleTypo() {
        assertEquals(Optional.of("kavach.policy.memory"), ClosestMatch.in(KEYS, "kavach.polcy.memory"));
        assertEquals(Optional.of("kavach.timeout"), ClosestMatch.in(KEYS, "kavach.timout"));
        assertEquals(Optional.of("strict"), ClosestMatch.in(List.of("minimal", "basic", "strict"), "strikt"));
    }

    @Test
    void unrelatedWordsGetNoSuggestion() {
        assertEquals(Optional.empty(), ClosestMatch.in(KEYS, "kavach.colour"));
        assertEquals(Optional.empty(), ClosestMatch.in(List.of("noop"), "sev"));
    }
}
