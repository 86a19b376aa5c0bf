package raftkv.sim;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import raftkv.core.Bug;

/**
 * {@code java -jar raftkv-sim.jar demo --seed N} narrates one simulated cluster;
 * {@code java -jar raftkv-sim.jar run --seeds N [--seed S] [--bug NAME] [--faults MIX] [--edn FILE]}
 * runs the randomized simulation and prints a summary with one replay line per failing seed.
 */
public final class Main {

    private Main() {}

    public static void main(String[] args) throws IOException {
        System.exit(run(args, System.out));
    }

    static int run(String[] args, PrintStream out) throws IOException {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
            out.println(usage());
            return args.length == 0 ? 2 : 0;
        }
        try {
            return switch (args[0]) {
                case "demo" -> {
                    Demo.run(longOption(args, "--seed", 1), out);
                    yield 0;
                }
                case "run" -> runSeeds(args, out);
                default -> throw new IllegalArgumentException("unknown command '" + args[0] + "'");
            };
        } catch (IllegalArgumentException e) {
            out.println("error: " + e.getMessage());
            out.println(usage());
            return 2;
        }
    }

    private static int runSeeds(String[] args, PrintStream out) throws IOException {
        long first = longOption(args, "--seed", 1);
        int count = (int) longOption(args, "--seeds", 1);
        Set<Bug> bugs = EnumSet.noneOf(Bug.class);
        for (int i = 1; i < args.length - 1; i++) {
            if (args[i].equals("--bug")) {
                bugs.add(Bug.fromFlag(args[i + 1]));
            }
        }
        String faults = option(args, "--faults");
        Simulation.Settings base = Simulation.Settings.of(first).withBugs(bugs)
                .withMix(faults == null ? null : FaultMix.named(faults));
        int threads = Runtime.getRuntime().availableProcessors();
        out.printf("simulating seeds %d..%d%s, 5 nodes, %d threads%n", first, first + count - 1,
                bugs.isEmpty() ? "" : " with bugs " + bugs, threads);
        SeedRunner.Summary summary = SeedRunner.run(base, first, count, threads, false);
        for (Simulation.Outcome failure : summary.failures()) {
            out.println("FAIL seed " + failure.settings().seed() + " (" + failure.settings().effectiveMix().name()
                    + "): " + failure.failure());
            out.println("  replay: " + failure.settings().reproduce());
        }
        out.println(summary.describe());
        String edn = option(args, "--edn");
        if (edn != null) {
            // The history of the first failing seed, else of the first seed.
            long seed = summary.failures().isEmpty() ? first : summary.failures().getFirst().settings().seed();
            Simulation.Outcome outcome = Simulation.run(base.withSeed(seed)); // same seed, same history
            try (Writer writer = Files.newBufferedWriter(Path.of(edn), StandardCharsets.UTF_8)) {
                Edn.write(outcome.history().events(), writer);
            }
            out.println("history of seed " + seed + " (" + outcome.history().events().size() + " events) written to "
                    + edn);
        }
        return summary.failures().isEmpty() ? 0 : 1;
    }

    private static String option(String[] args, String name) {
        for (int i = 1; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return null;
    }

    private static long longOption(String[] args, String name, long fallback) {
        String value = option(args, name);
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a number, got '" + value + "'");
        }
    }

    static String usage() {
        return """
                usage: java -jar raftkv-sim.jar demo [--seed N]
                       java -jar raftkv-sim.jar run [--seeds N] [--seed S] [--bug NAME]... [--faults MIX] [--edn FILE]

                  demo     narrate a 5-node cluster: election, writes, a leader cut off, re-election, heal
                  run      the randomized simulation of seeds S..S+N-1 (default S=1, N=1)
                  --bug    enable a deliberate Raft bug: %s
                  --faults fault mix for every seed (default: each seed picks one): %s
                  --edn    write the history (first failing seed, else seed S) as Knossos EDN
                """.formatted(Bug.allFlags(), String.join(", ", FaultMix.ALL.stream().map(FaultMix::name).toList()) + ", membership");
    }
}
