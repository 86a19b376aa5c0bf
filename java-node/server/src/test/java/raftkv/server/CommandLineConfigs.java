package raftkv.server;

import picocli.CommandLine;

/** The {@link NodeConfig} that {@code raftkv-node}'s command line makes, for the option tests. */
final class CommandLineConfigs {

    private CommandLineConfigs() {}

    /** {@code --id n1 --listen 127.0.0.1:9401 --peers PEERS --data-dir /tmp/unused}, then {@code extra}. */
    static NodeConfig configOf(String peers, String... extra) {
        String[] required = {"--id", "n1", "--listen", "127.0.0.1:9401", "--peers", peers, "--data-dir", "/tmp/unused"};
        String[] args = new String[required.length + extra.length];
        System.arraycopy(required, 0, args, 0, required.length);
        System.arraycopy(extra, 0, args, required.length, extra.length);
        RaftkvNode options = new RaftkvNode();
        new CommandLine(options).parseArgs(args);
        return options.toConfig();
    }
}
