// One function per subcommand; each returns the process exit code.
#pragma once

namespace exaone::cli {

int InspectCommand(int argc, char** argv);
int ConvertCommand(int argc, char** argv);
int LogitsCommand(int argc, char** argv);
int TokenizeCommand(int argc, char** argv);
int RunCommand(int argc, char** argv);
int BenchCommand(int argc, char** argv);
int PullCommand(int argc, char** argv);
int TemplateCommand(int argc, char** argv);
int QuantizeCommand(int argc, char** argv);
int ServeCommand(int argc, char** argv);
int FoundryCommand(int argc, char** argv);

}  // namespace exaone::cli
