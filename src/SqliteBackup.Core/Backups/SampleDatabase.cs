using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Snapshot;

namespace SqliteBackup.Core.Backups;

/// <summary>
/// The embedded default for trying the module: a small employee-management database (departments,
/// employees with managers, projects, assignments) like the line-of-business apps our users run.
/// Deterministic, so the demo prints the same numbers every time.
/// </summary>
public static class SampleDatabase
{
    static readonly string[] Departments = ["Engineering", "Sales", "Finance", "Operations", "People"];
    static readonly string[] FirstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis", "Radia", "John", "Hedy", "Niklaus", "Karen"];
    static readonly string[] LastNames = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie", "Perlman", "Backus", "Lamarr", "Wirth", "Jones"];

    public static void Create(string path, int employees = 100, bool wal = true)
    {
        if (File.Exists(path)) throw new IOException($"'{path}' already exists.");
        var rng = new Random(20261126);
        using var c = SqliteFiles.Open(path, SqliteOpenMode.ReadWriteCreate);
        SqliteFiles.Exec(c, (wal ? "PRAGMA journal_mode=WAL;" : "") + """
            PRAGMA foreign_keys=ON;
            PRAGMA user_version=3;
            CREATE TABLE departments (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, budget REAL NOT NULL);
            CREATE TABLE employees (
                id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT NOT NULL UNIQUE,
                department_id INTEGER NOT NULL REFERENCES departments(id), manager_id INTEGER REFERENCES employees(id),
                hired_on TEXT NOT NULL, salary REAL NOT NULL);
            CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL, department_id INTEGER NOT NULL REFERENCES departments(id));
            CREATE TABLE assignments (employee_id INTEGER NOT NULL REFERENCES employees(id), project_id INTEGER NOT NULL REFERENCES projects(id),
                role TEXT NOT NULL, PRIMARY KEY (employee_id, project_id)) WITHOUT ROWID;
            CREATE INDEX employees_department ON employees(department_id);
            """);
        using var tx = c.BeginTransaction();
        for (int d = 0; d < Departments.Length; d++)
            Insert(c, "INSERT INTO departments VALUES ($1, $2, $3)", d + 1, Departments[d], 100_000 + 25_000 * d);
        for (int e = 1; e <= employees; e++)
        {
            int dept = (e - 1) % Departments.Length + 1;
            object? manager = e <= Departments.Length ? null : dept;
            string first = FirstNames[rng.Next(FirstNames.Length)], last = LastNames[rng.Next(LastNames.Length)];
            Insert(c, "INSERT INTO employees VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", e, first, last,
                $"{first}.{last}.{e}@example.com".ToLowerInvariant(), dept, manager,
                new DateOnly(2015, 1, 1).AddDays(rng.Next(3650)).ToString("yyyy-MM-dd"), 40_000 + rng.Next(80) * 1_000);
        }
        int projects = Math.Max(1, employees / 10);
        for (int p = 1; p <= projects; p++)
            Insert(c, "INSERT INTO projects VALUES ($1, $2, $3)", p, $"Project {p:00}", (p - 1) % Departments.Length + 1);
        for (int e = 1; e <= employees; e++)
            Insert(c, "INSERT INTO assignments VALUES ($1, $2, $3)", e, (e - 1) % projects + 1, e % 7 == 0 ? "lead" : "member");
        tx.Commit();
    }

    static void Insert(SqliteConnection c, string sql, params object?[] values)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        for (int i = 0; i < values.Length; i++) cmd.Parameters.AddWithValue("$" + (i + 1), values[i] ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }
}
