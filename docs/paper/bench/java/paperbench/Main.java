package paperbench;

import java.util.Map;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the JMH benchmarks of this package and prints one line per measured iteration, the format
 * docs/paper/bench/table.sh reads (Go's side prints the same from testing.B output):
 *
 * <pre>  RESULT pingpong-virtual ns/roundtrip 412.7</pre>
 *
 * Arguments: FORKS WARMUP_ITERATIONS MEASURED_ITERATIONS SECONDS_PER_ITERATION SUFFIX; SUFFIX
 * (e.g. "" or "-jdk25") is appended to every name, so two JDKs' lines can share one file.
 */
public final class Main {

    /** JMH benchmark (class.method) to the name in the RESULT lines, and the unit per operation. */
    static final Map<String, String[]> NAMES = Map.of(
            "PingPong.virtualThreads", new String[] {"pingpong-virtual", "ns/roundtrip"},
            "PingPong.virtualThreadsOneCarrier", new String[] {"pingpong-virtual-1carrier", "ns/roundtrip"},
            "PingPong.platformThreads", new String[] {"pingpong-platform", "ns/roundtrip"},
            "FanOut.virtualThreads", new String[] {"fanout-virtual", "ms"},
            "EventLoop.platformOwnerVirtualRequesters", new String[] {"eventloop-virtual", "ns/request"});

    public static void main(String[] args) throws Exception {
        if (args.length < 4 || args.length > 6) {
            System.err.println("usage: java paperbench.Main FORKS WARMUPS ITERATIONS SECONDS [SUFFIX [INCLUDE_REGEX]]");
            System.exit(2);
        }
        String suffix = args.length > 4 ? args[4] : "";
        Options options = new OptionsBuilder()
                .include(args.length > 5 ? args[5] : "paperbench\\..*")
                .forks(Integer.parseInt(args[0]))
                .warmupIterations(Integer.parseInt(args[1]))
                .measurementIterations(Integer.parseInt(args[2]))
                .warmupTime(TimeValue.seconds(Long.parseLong(args[3])))
                .measurementTime(TimeValue.seconds(Long.parseLong(args[3])))
                .shouldFailOnError(true)
                .build();
        for (RunResult run : new Runner(options).run()) {
            String benchmark = run.getParams().getBenchmark();
            String shortName = benchmark.substring(benchmark.indexOf('.') + 1);
            String[] name = NAMES.get(shortName);
            if (name == null) {
                throw new IllegalStateException("no RESULT name for benchmark " + benchmark);
            }
            for (BenchmarkResult fork : run.getBenchmarkResults()) {
                for (IterationResult iteration : fork.getIterationResults()) {
                    Result<?> r = iteration.getPrimaryResult();
                    System.out.printf(java.util.Locale.ROOT, "RESULT %s%s %s %.1f%n", name[0], suffix, name[1], r.getScore());
                }
            }
        }
    }
}
