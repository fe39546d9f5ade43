package dev.kavach.core.config;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/** Finds the known word a misspelt one most likely meant, for "did you mean" hints. */
public final class ClosestMatch {
    private ClosestMatch() {
    }

    /** The candidate closest to {@code word} by edit distance, if it is close enough to be a plausible typo. */
    public static Optional<String> in(Collection<String> candidates, String word) {
        int allowed = Math.max(1, Math.min(3, word.length() / 3));
        return candidates.stream()
                .filter(candidate -> distance(candidate, word) <= allowed)
                .min(Comparator.comparingInt((String candidate) -> distance(candidate, word)).thenComparing(Comparator.naturalOrder()));
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
