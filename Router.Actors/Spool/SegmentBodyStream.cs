using Microsoft.Win32.SafeHandles;

namespace Router.Actors.Spool;

/// <summary>
/// A read-only, seekable view of one message's stored bytes inside a segment file, read through the segment's shared
/// read handle, which stays open until this stream is disposed: the segment may be unlinked (after the message is
/// finished or relocated) while the reader is still busy. Reads are synchronous <c>pread</c>s, also through
/// <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>: the bytes were written moments ago and sit in the page
/// cache, and an asynchronous file read on Linux is a synchronous one queued to the thread pool (a hop per read).
/// </summary>
internal sealed class SegmentBodyStream : Stream
{
    private readonly SafeFileHandle _handle;
    private readonly long _start;
    private readonly long _length;
    private long _position;

    private Action? _closed;
    private bool _disposed;

    public SegmentBodyStream(SafeFileHandle handle, long start, long length, Action? closed = null)
    {
        _handle = handle;
        _start = start;
        _length = length;
        _closed = closed;
    }

    public override bool CanRead => !_disposed;

    public override bool CanSeek => !_disposed;

    public override bool CanWrite => false;

    public override long Length
    {
        get
        {
            ThrowIfClosed();
            return _length;
        }
    }

    public override long Position
    {
        get
        {
            ThrowIfClosed();
            return _position;
        }

        set
        {
            ThrowIfClosed();
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        ThrowIfClosed();
        var wanted = Clamp(buffer.Length);
        if (wanted == 0)
        {
            return 0;
        }

        var read = RandomAccess.Read(_handle, buffer[..wanted], _start + _position);
        return Advance(read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        try
        {
            return ValueTask.FromResult(Read(buffer.Span));
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<int>(ex);
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ThrowIfClosed();
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        if (target < 0)
        {
            throw new IOException("Cannot seek before the start of the message.");
        }

        _position = target;
        return target;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("A spooled message is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A spooled message is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _disposed = true;
            Interlocked.Exchange(ref _closed, null)?.Invoke();
        }

        base.Dispose(disposing);
    }

    private int Clamp(int requested) => (int)Math.Clamp(_length - _position, 0, requested);

    private int Advance(int read)
    {
        if (read == 0)
        {
            // The committed range is never shortened while the file exists; reaching EOF means outside damage.
            throw new EndOfStreamException("The spool segment ended inside a stored message.");
        }

        _position += read;
        return read;
    }

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
