package io.lossmonitor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar loss-monitor.jar <subcommand>}: the entry point of the jar. */
@Command(name = "loss-monitor",
        mixinStandardHelpOptions = true,
        versionProvider = LossMonitorCommand.Version.class,
        description = "Watches ML models in production: joins predictions with delayed labels and reports"
                + " PyTorch-exact losses.",
        subcommands = {RunCommand.class, DemoCommand.class, LossCommand.class, GenerateCommand.class,
            CommandLine.HelpCommand.class})
public final class LossMonitorCommand {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; tests run subcommands through it exactly as the jar does. */
    public static CommandLine commandLine() {
        return new CommandLine(new LossMonitorCommand());
    }

    /** The version written into the jar's manifest by the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = LossMonitorCommand.class.getPackage().getImplementationVersion();
            return new String[] {"loss-monitor " + (version == null ? "(development build)" : version)};
        }
    }
}
