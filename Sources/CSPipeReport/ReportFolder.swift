import CSPipeCore
import Foundation

/// `report -o DIR`: the report's files written into a new folder beside DIR and swapped in
/// whole when the run succeeds, so a failed run leaves the previous report as it was. A folder
/// that is not a report (no `.cspipe-report` marker, and not empty) and anything that is not a
/// folder are never replaced.
public enum ReportFolder {
  static let marker = ".cspipe-report"

  /// A character device, named pipe or socket (`/dev/null`, `/dev/stdout`, a FIFO): the Markdown
  /// is written straight through to it, as other tools write to one, and it is never replaced.
  public static func isStream(_ path: String) -> Bool {
    var info = stat()
    guard stat(path, &info) == 0 else { return false }
    let type = info.st_mode & S_IFMT
    return type == S_IFCHR || type == S_IFIFO || type == S_IFSOCK
  }

  static func write(_ files: [(path: String, text: String)], to target: String) throws {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    let exists = manager.fileExists(atPath: target, isDirectory: &isDirectory)
    if exists {
      let attributes = try? manager.attributesOfItem(atPath: target)
      if attributes?[.type] as? FileAttributeType == .typeSymbolicLink {
        throw RunError("\(target): a symbolic link; report writes a folder of its own (give the folder's real path)")
      }
      guard isDirectory.boolValue else {
        throw RunError("\(target): not a folder; report writes a folder (-o DIR) and never replaces a file or device")
      }
      let contents = (try? manager.contentsOfDirectory(atPath: target)) ?? []
      guard contents.isEmpty || contents.contains(marker) else {
        throw RunError("\(target): a folder that is not a cspipe report (no \(marker) in it): choose another -o folder")
      }
    }
    let parent = (target as NSString).deletingLastPathComponent
    let base = (target as NSString).lastPathComponent
    var template = Array("\(parent.isEmpty ? "." : parent)/.\(base).XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      throw RunError("\(target): cannot create a folder beside it: \(errnoDescription())")
    }
    let staging = String(cString: made)
    do {
      for file in files + [(marker, "written by cspipe report; the folder is replaced whole on the next run\n")] {
        let path = "\(staging)/\(file.path)"
        try manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(file.text.utf8).write(to: URL(fileURLWithPath: path))
      }
      if exists {
        let old = staging + ".previous"
        guard rename(target, old) == 0 else { throw RunError("\(target): cannot move the previous report aside: \(errnoDescription())") }
        guard rename(staging, target) == 0 else {
          _ = rename(old, target)
          throw RunError("\(target): cannot put the new report in place: \(errnoDescription())")
        }
        try? manager.removeItem(atPath: old)
      } else {
        guard rename(staging, target) == 0 else { throw RunError("\(target): cannot put the report in place: \(errnoDescription())") }
      }
    } catch {
      try? manager.removeItem(atPath: staging)
      throw error
    }
  }
}
