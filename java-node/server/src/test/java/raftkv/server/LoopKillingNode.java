package raftkv.server;

import java.util.Arrays;
import picocli.CommandLine;

/**
 * A node started as {@code raftkv-node.jar} starts one ({@link RaftkvNode}'s crash handler, options
 * and start-up), which then dies of an {@link Error} once it leads: for {@link LoopDeathIT}. Test
 * code only: the jar has no way to do this.
 *
 * <p>{@code LoopKillingNode DEATH NODE-OPTIONS...}, DEATH one of {@link Death}'s names. Just before
 * the Error is thrown it prints {@value #DIES_AT} and the wall-clock time in milliseconds, so that
 * the test can measure how long the process outlived it.
 */
final class LoopKillingNode {

    static final String DIES_AT = "LOOP-KILLING-NODE-DIES-AT ";

    enum Death {
        /** An Error thrown on the event loop thread. */
        LOOP_ERROR,
        /** An Error on the event loop whose message cannot even be logged: every log line about it throws. */
        UNLOGGABLE_LOOP_ERROR,
        /** An Error that ends some other thread (the default uncaught exception handler's case). */
        OTHER_THREAD_ERROR
    }

    /** An Error that throws when asked what it is: logging it fails, as logging an OutOfMemoryError can. */
    private static final class UnloggableError extends Error {
        @Override
        public String getMessage() {
            throw new IllegalStateException("no message for you");
        }

        @Override
        public String toString() {
            throw new IllegalStateException("no string for you");
        }
    }

    private LoopKillingNode() {}

    public static void main(String[] args) throws Exception {
        Death death = Death.valueOf(args[0]);
        RaftkvNode.haltOnUncaughtErrors();
        RaftkvNode options = new RaftkvNode();
        new CommandLine(options).parseArgs(Arrays.copyOfRange(args, 1, args.length));
        int code = RaftkvNode.start(options.toConfig(),
                node -> Thread.ofPlatform().name("killer").start(() -> killOnceLeading(node, death)));
        if (code != 0) {
            System.exit(code);
        }
    }

    private static void killOnceLeading(RunningNode node, Death death) {
        while (!"leader".equals(node.loop().status().role())) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
        switch (death) {
            case LOOP_ERROR -> node.loop().readLocal(kv -> dieWith(new Error("killed by LoopKillingNode")));
            case UNLOGGABLE_LOOP_ERROR -> node.loop().readLocal(kv -> dieWith(new UnloggableError()));
            case OTHER_THREAD_ERROR -> Thread.ofPlatform().name("doomed")
                    .start(() -> dieWith(new Error("killed by LoopKillingNode")));
        }
    }

    private static Void dieWith(Error error) {
        System.out.println(DIES_AT + System.currentTimeMillis());
        System.out.flush();
        throw error;
    }
}
