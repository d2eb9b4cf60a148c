using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(SqliteBackup.Bench.RetentionPlanningBenchmark).Assembly).Run(args);
