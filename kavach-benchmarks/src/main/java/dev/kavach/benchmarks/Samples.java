package dev.kavach.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Measurements of one quantity, summarised by their median (robust against the odd slow run on a busy host). */
final class Samples {
    private final List<Double> values = new ArrayList<>();

    void add(double value) {
        values.add(value);
    }

    int size() {
        return values.size();
    }

    double median() {
        if (values.isEmpty()) {
            throw new IllegalStateException("no samples");
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    double max() {
        return Collections.max(values);
    }

    double min() {
        return Collections.min(values);
    }

    double first() {
        return values.get(0);
    }

    double last() {
        return values.get(values.size() - 1);
    }
}
