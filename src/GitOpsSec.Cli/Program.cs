using GitOpsSec.Cli;

return await HostProgram.RunAsync(args, Console.Out, Console.Error);
