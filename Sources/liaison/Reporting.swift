import ArgumentParser
import Foundation
import LiaisonRuntime
import LiaisonStore

func fail(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

func progress(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs `body`. A problem with what the user gave (an operation folder, its plugins or
/// timeline, a store) is printed as `liaison COMMAND: ...` on standard error and ends the
/// command with status 1; any other error goes on up.
func reportingInputErrors<T>(_ command: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ImportError {
        fail("liaison \(command): \(error)")
    } catch let error as PluginLoadError {
        fail("liaison \(command): \(error)")
    } catch let error as StoreError {
        fail("liaison \(command): \(error)")
    } catch let error as HostError {
        fail("liaison \(command): \(error)")
    }
    throw ExitCode(1)
}
