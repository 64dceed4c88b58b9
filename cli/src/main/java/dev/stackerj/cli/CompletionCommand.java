package dev.stackerj.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code stacker completion bash|zsh}: the shell completion script, generated from the command
 * definitions so it never lags behind them. zsh loads the same script through bashcompinit.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
    description = {"Prints the shell completion script.",
        "bash: source <(stacker completion bash), or save it as /etc/bash_completion.d/stacker.",
        "zsh: source <(stacker completion zsh) in ~/.zshrc."})
public final class CompletionCommand implements Callable<Integer> {
  /** The shells a script is made for. */
  enum Shell { bash, zsh }

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "SHELL", defaultValue = "bash", description = "bash or zsh (default: ${DEFAULT-VALUE})")
  Shell shell;

  @Override
  public Integer call() {
    // one script for both: under zsh it enables compinit (once) and bashcompinit itself
    String script = AutoComplete.bash("stacker", spec.root().commandLine());
    System.out.print(script);
    return 0;
  }
}
