using System.Net.Sockets;

namespace Router.Actors.Delivery;

/// <summary>
/// The stream MailKit talks to a firewall through. MailKit writes in 4 KB blocks and, over a
/// socket of its own, makes one <c>send</c> (and one <c>poll</c>) per block: 25 of each for a
/// 100 KB message, and on loopback every <c>send</c> also runs the receiver's TCP stack. Here
/// writes are gathered into one buffer and go out when it is full, on <c>Flush</c>, and before
/// any read: in SMTP the client reads only to wait for a reply to what it has written, so nothing
/// the firewall must see can stay behind in the buffer (MailKit skips the inner <c>Flush</c> when
/// its own buffer happens to be empty, which is why reads flush too).
/// </summary>
/// <remarks>
/// <see cref="ReadTimeout"/> and <see cref="WriteTimeout"/> are MailKit's <c>Timeout</c> and apply
/// to each operation as they did on MailKit's own socket stream: an operation that outlives its
/// timeout throws <see cref="TimeoutException"/>; socket errors surface as <see cref="IOException"/>.
/// </remarks>
internal sealed class CoalescingSocketStream(Socket socket, int bufferSize = CoalescingSocketStream.DefaultBufferSize) : Stream
{
    /// <summary>One loopback packet's worth; a 100 KB message leaves in two sends instead of 25.</summary>
    public const int DefaultBufferSize = 64 * 1024;

    private readonly byte[] _pending = new byte[bufferSize];
    private int _count;
    private bool _disposed;

    public override bool CanRead => !_disposed;

    public override bool CanWrite => !_disposed;

    public override bool CanSeek => false;

    public override bool CanTimeout => true;

    public override int ReadTimeout { get; set; } = Timeout.Infinite;

    public override int WriteTimeout { get; set; } = Timeout.Infinite;

    /// <summary>Bytes written and not yet sent.</summary>
    internal int Pending => _count;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (_count == _pending.Length)
                Flush();
            var n = Math.Min(buffer.Length, _pending.Length - _count);
            buffer[..n].CopyTo(_pending.AsSpan(_count));
            _count += n;
            buffer = buffer[n..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // Almost every write only fills the buffer: no state machine for those.
        if (_count + buffer.Length <= _pending.Length)
        {
            buffer.Span.CopyTo(_pending.AsSpan(_count));
            _count += buffer.Length;
            return ValueTask.CompletedTask;
        }
        return WriteSlowAsync(buffer, cancellationToken);
    }

    private async ValueTask WriteSlowAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            if (_count == _pending.Length)
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            var n = Math.Min(buffer.Length, _pending.Length - _count);
            buffer.Span[..n].CopyTo(_pending.AsSpan(_count));
            _count += n;
            buffer = buffer[n..];
        }
    }

    public override void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var sent = 0;
        socket.SendTimeout = WriteTimeout == Timeout.Infinite ? 0 : WriteTimeout;
        try
        {
            while (sent < _count)
                sent += socket.Send(_pending, sent, _count - sent, SocketFlags.None);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
        {
            throw new TimeoutException($"Operation timed out after {WriteTimeout} milliseconds", ex);
        }
        catch (SocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
        finally
        {
            _count = 0;
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _count == 0 ? Task.CompletedTask : SendPendingAsync(cancellationToken);
    }

    private async Task SendPendingAsync(CancellationToken cancellationToken)
    {
        using var deadline = Deadline(WriteTimeout, cancellationToken);
        try
        {
            var sent = 0;
            while (sent < _count)
                sent += await socket.SendAsync(_pending.AsMemory(sent, _count - sent), SocketFlags.None, deadline?.Token ?? cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Operation timed out after {WriteTimeout} milliseconds", ex);
        }
        catch (SocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
        finally
        {
            _count = 0;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        Flush();
        socket.ReceiveTimeout = ReadTimeout == Timeout.Infinite ? 0 : ReadTimeout;
        try
        {
            return socket.Receive(buffer, SocketFlags.None);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
        {
            throw new TimeoutException($"Operation timed out after {ReadTimeout} milliseconds", ex);
        }
        catch (SocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_count > 0)
            await SendPendingAsync(cancellationToken).ConfigureAwait(false);
        using var deadline = Deadline(ReadTimeout, cancellationToken);
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, deadline?.Token ?? cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Operation timed out after {ReadTimeout} milliseconds", ex);
        }
        catch (SocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    private static CancellationTokenSource? Deadline(int timeoutMs, CancellationToken cancellationToken)
    {
        if (timeoutMs == Timeout.Infinite)
            return null;
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeoutMs);
        return deadline;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            socket.Dispose();
        }
        base.Dispose(disposing);
    }
}
